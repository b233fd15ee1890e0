// Trust for the test clients that call ancm-host over TLS (GrpcClient,
// WebSocketClient): a client's csproj compiles this file in
// (<Compile Include="../Shared/TestCa.cs" />). The tests' certificates come
// from their own CA (tests/support/test_certificates.*), which no system
// store trusts.
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

static class TestCa
{
    /// <summary>
    /// Accepts a server certificate only when it chains to the first certificate
    /// of the PEM file and names the host asked for.
    /// </summary>
    public static RemoteCertificateValidationCallback TrustOnly(string caFile)
    {
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPemFile(caFile);
        if (certificates.Count == 0)
            throw new ArgumentException($"no certificate in '{caFile}'");
        var ca = certificates[0];
        return (_, certificate, _, errors) =>
            certificate is not null && IsIssuedBy(new X509Certificate2(certificate), ca, errors);
    }

    private static bool IsIssuedBy(X509Certificate2 certificate, X509Certificate2 ca, SslPolicyErrors errors)
    {
        // A name mismatch is still an error; only the chain is judged by our CA.
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }
}
