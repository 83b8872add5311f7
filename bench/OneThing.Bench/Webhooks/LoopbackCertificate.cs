using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OneThing.Bench.Webhooks;

/// <summary>Certificates for https receivers on this machine.</summary>
public static class LoopbackCertificate
{
    /// <summary>
    /// A self-signed certificate for 127.0.0.1 and localhost, with its private key, valid for an hour: a receiver presents
    /// it and its sender trusts it as its only root.
    /// </summary>
    public static X509Certificate2 Create()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=OneThing loopback receiver", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        // Through PKCS#12, so that Kestrel on Linux can use the private key.
        return X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pkcs12), password: null);
    }

    /// <summary>
    /// <c>receiver-certificate --out DIR</c>: a new certificate as <c>receiver.pfx</c> (with its key, for the receiver)
    /// and <c>receiver.pem</c> (without it, for the silo's <c>OneThing:Webhooks:TrustedRootsFile</c>).
    /// </summary>
    public static (string Pkcs12, string Pem) WriteReceiverFiles(string directory)
    {
        Directory.CreateDirectory(directory);
        using var certificate = Create();
        var (pkcs12, pem) = (Path.Combine(directory, "receiver.pfx"), Path.Combine(directory, "receiver.pem"));
        File.WriteAllBytes(pkcs12, certificate.Export(X509ContentType.Pkcs12));
        File.WriteAllText(pem, certificate.ExportCertificatePem());
        return (pkcs12, pem);
    }

    /// <summary>Writes <paramref name="certificate"/> (without its key) as PEM to a new temporary file, for a sender's
    /// <c>OneThing:Webhooks:TrustedRootsFile</c>; the caller deletes it.</summary>
    public static string WriteTrustedRootsFile(X509Certificate2 certificate)
    {
        var path = Path.Combine(Path.GetTempPath(), $"onething-receiver-{Guid.NewGuid():N}.pem");
        File.WriteAllText(path, certificate.ExportCertificatePem());
        return path;
    }
}
