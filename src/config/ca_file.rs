//! A company CA for the relay's certificate (`smtp_ca_file`), read with the settings.

use std::path::{Path, PathBuf};

use lettre::transport::smtp::client::{Certificate, CertificateStore, TlsParameters};

/// The certificates of `smtp_ca_file`: a company's internal CA that signed its relay's
/// certificate. Read and checked once at start-up, so that a bad file names its key there and
/// not in the first mail's error.
#[derive(Clone)]
pub struct CaFile {
    pub path: PathBuf,
    /// How many certificates the file holds (shown with the transport at start-up).
    pub count: usize,
    pub(crate) certificate: Certificate,
}

impl std::fmt::Debug for CaFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaFile")
            .field("path", &self.path)
            .field("count", &self.count)
            .finish()
    }
}

const PEM_CERTIFICATE: &str = "-----BEGIN CERTIFICATE-----";

impl CaFile {
    /// Reads a PEM file with one or more CA certificates and checks that rustls takes each of
    /// them as a trust anchor.
    pub fn load(path: &Path) -> Result<Self, String> {
        let pem =
            std::fs::read(path).map_err(|err| format!("cannot read {}: {err}", path.display()))?;
        let count = String::from_utf8_lossy(&pem)
            .matches(PEM_CERTIFICATE)
            .count();
        if count == 0 {
            return Err(format!(
                "{} holds no PEM certificate (a `{PEM_CERTIFICATE}` block)",
                path.display()
            ));
        }
        let certificate = Certificate::from_pem(&pem).map_err(|err| {
            format!(
                "{} is not readable as PEM certificates: {err}",
                path.display()
            )
        })?;
        // Only the file's own certificates, so that a certificate rustls refuses is found here.
        TlsParameters::builder("localhost".into())
            .certificate_store(CertificateStore::None)
            .add_root_certificate(certificate.clone())
            .build_rustls()
            .map_err(|err| {
                format!(
                    "{} holds a certificate that cannot be trusted as a CA: {err}",
                    path.display()
                )
            })?;
        Ok(CaFile {
            path: path.to_owned(),
            count,
            certificate,
        })
    }
}
