"""fhirpy (a real FHIR client from PyPI) drives create, read, update, delete and history."""
import pytest
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome, ResourceNotFound


@pytest.fixture()
def client(fhirgate):
    return SyncFHIRClient(fhirgate["http"])


def test_create_read_update_delete_history(client):
    patient = client.resource("Patient", name=[{"family": "Conformance", "given": ["Fhir", "Py"]}],
                              birthDate="1980-02-29", gender="female")
    patient.save()
    assert patient.id
    assert patient["meta"]["versionId"] == "1"

    fetched = client.reference("Patient", patient.id).to_resource()
    assert fetched["name"][0]["family"] == "Conformance"
    assert fetched["birthDate"] == "1980-02-29"

    fetched["active"] = True
    fetched.save()
    assert fetched["meta"]["versionId"] == "2"
    again = client.reference("Patient", patient.id).to_resource()
    assert again["active"] is True

    history = client.execute(f"Patient/{patient.id}/_history", method="get")
    assert history["resourceType"] == "Bundle" and history["type"] == "history"
    assert [e["resource"]["meta"]["versionId"] for e in history["entry"]] == ["2", "1"]

    again.delete()
    with pytest.raises((ResourceNotFound, OperationOutcome)):
        client.reference("Patient", patient.id).to_resource()
    history = client.execute(f"Patient/{patient.id}/_history", method="get")
    assert [e["request"]["method"] for e in history["entry"]] == ["DELETE", "PUT", "POST"]


def test_update_with_client_id_creates(client):
    observation = client.resource("Observation", id="conf-obs-1", status="final",
                                  code={"text": "heart rate"},
                                  valueQuantity={"value": 72, "unit": "beats/min"})
    observation.save()
    assert observation["meta"]["versionId"] == "1"
    fetched = client.reference("Observation", "conf-obs-1").to_resource()
    assert fetched["valueQuantity"]["value"] == 72


def test_errors_are_operation_outcomes(client):
    with pytest.raises(ResourceNotFound):
        client.reference("Patient", "does-not-exist").to_resource()
    with pytest.raises(OperationOutcome) as raised:
        client.execute("Patient/a", method="put", data={"resourceType": "Patient", "id": "b"})
    assert "does not match" in str(raised.value)


def test_capability_statement(client):
    statement = client.execute("metadata", method="get")
    assert statement["resourceType"] == "CapabilityStatement"
    assert statement["fhirVersion"] == "4.0.1"
