-- POST a small realistic Patient.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/fhir+json"
wrk.body = '{"resourceType":"Patient","active":true,"name":[{"family":"Load","given":["Bench"]}],"gender":"female","birthDate":"1974-12-25","address":[{"line":["1 Main St"],"city":"Springfield","postalCode":"12345"}]}'
request = function()
  return wrk.format("POST", "/fhir/Patient")
end
