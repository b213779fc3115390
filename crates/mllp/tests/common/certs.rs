//! A throw-away PKI made at test time: a CA, a server certificate for
//! 127.0.0.1/localhost, a client certificate, and an unrelated second CA.

use std::path::{Path, PathBuf};

use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
};
use openssl::x509::{X509Name, X509};

pub struct TestPki {
    _dir: tempfile::TempDir,
    pub ca: PathBuf,
    pub other_ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

struct Issued {
    cert: X509,
    key: PKey<Private>,
}

fn new_key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
}

fn name(common_name: &str) -> X509Name {
    let mut name = X509Name::builder().unwrap();
    name.append_entry_by_nid(Nid::COMMONNAME, common_name)
        .unwrap();
    name.append_entry_by_nid(Nid::ORGANIZATIONNAME, "fhirgate tests")
        .unwrap();
    name.build()
}

/// Issues a certificate; `issuer` None makes it a self-signed CA.
fn issue(common_name: &str, issuer: Option<&Issued>, leaf_usage: Option<&str>) -> Issued {
    let key = new_key();
    let mut builder = X509::builder().unwrap();
    builder.set_version(2).unwrap();
    let mut serial = BigNum::new().unwrap();
    serial.rand(64, MsbOption::MAYBE_ZERO, false).unwrap();
    builder
        .set_serial_number(&serial.to_asn1_integer().unwrap())
        .unwrap();
    let subject = name(common_name);
    builder.set_subject_name(&subject).unwrap();
    match issuer {
        Some(issuer) => builder.set_issuer_name(issuer.cert.subject_name()).unwrap(),
        None => builder.set_issuer_name(&subject).unwrap(),
    }
    builder.set_pubkey(&key).unwrap();
    builder
        .set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    builder
        .set_not_after(&Asn1Time::days_from_now(2).unwrap())
        .unwrap();
    match leaf_usage {
        None => {
            builder
                .append_extension(BasicConstraints::new().critical().ca().build().unwrap())
                .unwrap();
            let usage = KeyUsage::new()
                .critical()
                .key_cert_sign()
                .crl_sign()
                .build()
                .unwrap();
            builder.append_extension(usage).unwrap();
        }
        Some(usage) => {
            builder
                .append_extension(BasicConstraints::new().build().unwrap())
                .unwrap();
            let key_usage = KeyUsage::new()
                .critical()
                .digital_signature()
                .build()
                .unwrap();
            builder.append_extension(key_usage).unwrap();
            let mut extended = ExtendedKeyUsage::new();
            match usage {
                "server" => extended.server_auth(),
                _ => extended.client_auth(),
            };
            builder.append_extension(extended.build().unwrap()).unwrap();
            let context = builder.x509v3_context(issuer.map(|issuer| issuer.cert.as_ref()), None);
            let san = SubjectAlternativeName::new()
                .dns("localhost")
                .ip("127.0.0.1")
                .build(&context)
                .unwrap();
            builder.append_extension(san).unwrap();
        }
    }
    let signer = issuer.map(|issuer| &issuer.key).unwrap_or(&key);
    builder.sign(signer, MessageDigest::sha256()).unwrap();
    Issued {
        cert: builder.build(),
        key,
    }
}

fn write(dir: &Path, file: &str, issued: &Issued) -> (PathBuf, PathBuf) {
    let cert = dir.join(format!("{file}.crt"));
    let key = dir.join(format!("{file}.key"));
    std::fs::write(&cert, issued.cert.to_pem().unwrap()).unwrap();
    std::fs::write(&key, issued.key.private_key_to_pem_pkcs8().unwrap()).unwrap();
    (cert, key)
}

pub fn generate() -> TestPki {
    let dir = tempfile::tempdir().unwrap();
    let ca = issue("fhirgate test CA", None, None);
    let other = issue("unrelated CA", None, None);
    let server = issue("localhost", Some(&ca), Some("server"));
    let client = issue("lab-system", Some(&ca), Some("client"));
    let (ca_path, _) = write(dir.path(), "ca", &ca);
    let (other_ca, _) = write(dir.path(), "other-ca", &other);
    let (server_cert, server_key) = write(dir.path(), "server", &server);
    let (client_cert, client_key) = write(dir.path(), "client", &client);
    TestPki {
        _dir: dir,
        ca: ca_path,
        other_ca,
        server_cert,
        server_key,
        client_cert,
        client_key,
    }
}
