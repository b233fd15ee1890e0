using Ancm.Host.Server;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

// A whole request through the managed server over the fake request table:
// which features the app gets for the request's HTTP version, and what the
// server then asks of the native side (trailers before complete, a reset
// instead of complete).
static class Http2RequestTests
{
    private sealed class App(Func<HttpContext, Task> run) : IHttpApplication<HttpContext>
    {
        public HttpContext CreateContext(IFeatureCollection features) => new DefaultHttpContext(features);
        public Task ProcessRequestAsync(HttpContext context) => run(context);
        public void DisposeContext(HttpContext context, Exception? exception) { }
    }

    // Runs one request of this version through the server to its native end.
    private static Task<IReadOnlyList<string>> RunAsync(int httpVersion, Func<HttpContext, Task> app)
    {
        FakeRequestApi.NewRequest(httpVersion);
        return RunCurrentAsync(app);
    }

    private static async Task<IReadOnlyList<string>> RunCurrentAsync(Func<HttpContext, Task> app)
    {
        var server = FakeRequestApi.CreateServer(new App(app));
        server.Enqueue(1);
        var ended = await Task.WhenAny(FakeRequestApi.Ended, Task.Delay(TimeSpan.FromSeconds(30)));
        Expect.True(ended == FakeRequestApi.Ended, "the request ended (complete, abort or reset)");
        return FakeRequestApi.Calls;
    }

    public static void Register()
    {
        TestRunner.Add("TLS request: the handshake and the client certificate as tls_info reports them", async () =>
        {
            using var key = System.Security.Cryptography.ECDsa.Create();
            var request = new System.Security.Cryptography.X509Certificates.CertificateRequest(
                "CN=client", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
            FakeRequestApi.NewRequest(20, ("TLSv1.3", "TLS_AES_128_GCM_SHA256", "grpc.test", certificate.RawData));
            string seen = "";
            await RunCurrentAsync(async context =>
            {
                var handshake = context.Features.Get<Microsoft.AspNetCore.Connections.Features.ITlsHandshakeFeature>()!;
                var client = await context.Connection.GetClientCertificateAsync();
                seen = $"{context.Request.Scheme} {context.Request.IsHttps} {handshake.Protocol} " +
                       $"{handshake.NegotiatedCipherSuite} {handshake.HostName} {client?.Subject} " +
                       $"{client?.Thumbprint == certificate.Thumbprint}";
            });
            Expect.Equal("https True Tls13 TLS_AES_128_GCM_SHA256 grpc.test CN=client True", seen);
        });
        TestRunner.Add("Cleartext request: no TLS features", async () =>
        {
            string seen = "";
            await RunAsync(11, context =>
            {
                seen = $"{context.Request.Scheme} " +
                       $"{context.Features.Get<Microsoft.AspNetCore.Connections.Features.ITlsHandshakeFeature>() is null} " +
                       $"{context.Features.Get<ITlsConnectionFeature>() is null} {context.Connection.ClientCertificate is null}";
                return Task.CompletedTask;
            });
            Expect.Equal("http True True True", seen);
        });
        TestRunner.Add("HTTP/2 request: Protocol HTTP/2, trailers supported, reset offered, no upgrade", async () =>
        {
            string seen = "";
            await RunAsync(20, context =>
            {
                seen = $"{context.Request.Protocol} {context.Response.SupportsTrailers()} " +
                       $"{context.Features.Get<IHttpResetFeature>() is not null} " +
                       $"{context.Features.Get<IHttpUpgradeFeature>()!.IsUpgradableRequest}";
                return Task.CompletedTask;
            });
            Expect.Equal("HTTP/2 True True False", seen);
        });
        TestRunner.Add("HTTP/2 extended CONNECT: IHttpExtendedConnectFeature names its :protocol; other requests are none", async () =>
        {
            static string Describe(HttpContext context)
            {
                var connect = context.Features.Get<IHttpExtendedConnectFeature>()!;
                return $"{connect.IsExtendedConnect} {connect.Protocol ?? "null"}";
            }
            string seen = "";
            FakeRequestApi.NewExtendedConnect("websocket");
            await RunCurrentAsync(context =>
            {
                seen = Describe(context);
                return Task.CompletedTask;
            });
            await RunAsync(20, context =>
            {
                seen += " | " + Describe(context);
                return Task.CompletedTask;
            });
            await RunAsync(11, context =>
            {
                seen += " | " + Describe(context);
                return Task.CompletedTask;
            });
            Expect.Equal("True websocket | False null | False null", seen);
        });
        TestRunner.Add("HTTP/1.1 request: no response trailers and no reset, as on Kestrel", async () =>
        {
            string seen = "";
            await RunAsync(11, context =>
            {
                seen = $"{context.Request.Protocol} {context.Response.SupportsTrailers()} " +
                       $"{context.Features.Get<IHttpResetFeature>() is not null}";
                return Task.CompletedTask;
            });
            Expect.Equal("HTTP/1.1 False False", seen);
        });
        TestRunner.Add("HTTP/2 trailers go out after the body and before complete(), each value its own field", async () =>
        {
            var calls = await RunAsync(20, async context =>
            {
                context.Response.DeclareTrailer("grpc-status");
                await context.Response.WriteAsync("hello");
                context.Response.AppendTrailer("grpc-status", "0");
                context.Response.AppendTrailer("x-multi", new Microsoft.Extensions.Primitives.StringValues(["a", "b"]));
            });
            var end = string.Join(" | ", calls.Skip(calls.ToList().FindIndex(c => c.StartsWith("body"))));
            Expect.Equal("body hello | trailer grpc-status: 0 | trailer x-multi: a | trailer x-multi: b | complete", end);
        });
        TestRunner.Add("HTTP/2 trailers of a response that never wrote a body still precede complete()", async () =>
        {
            var calls = await RunAsync(20, context =>
            {
                context.Response.AppendTrailer("grpc-status", "0");
                return Task.CompletedTask;
            });
            Expect.Equal("trailer grpc-status: 0 | complete", string.Join(" | ", calls.TakeLast(2)));
        });
        TestRunner.Add("HTTP/2 Reset: the native reset with the app's code ends the request, RequestAborted fires", async () =>
        {
            var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var calls = await RunAsync(20, async context =>
            {
                context.RequestAborted.Register(() => aborted.TrySetResult());
                await context.Response.WriteAsync("partial");
                context.Features.Get<IHttpResetFeature>()!.Reset(8);
                await context.Response.WriteAsync("dropped");
            });
            var fired = await Task.WhenAny(aborted.Task, Task.Delay(TimeSpan.FromSeconds(30)));
            Expect.True(fired == aborted.Task, "RequestAborted fired");
            Expect.Equal("body partial | reset 8", string.Join(" | ", calls.TakeLast(2)));
            Expect.True(!calls.Contains("complete") && !calls.Contains("abort"), "nothing but the reset ended it: " +
                                                                                     string.Join(" | ", calls));
        });
        TestRunner.Add("HTTP/2 Reset after the response completed sends nothing more", async () =>
        {
            var resetCalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await RunAsync(20, async context =>
            {
                await context.Response.WriteAsync("whole");
                await context.Response.CompleteAsync();
                context.Features.Get<IHttpResetFeature>()!.Reset(0);
                resetCalled.TrySetResult();
            });
            // The request ended at complete(); the app's Reset comes after it.
            var called = await Task.WhenAny(resetCalled.Task, Task.Delay(TimeSpan.FromSeconds(30)));
            Expect.True(called == resetCalled.Task, "the app called Reset");
            var calls = FakeRequestApi.Calls;
            Expect.Equal("body whole | complete", string.Join(" | ", calls.TakeLast(2)));
            Expect.True(!calls.Any(c => c.StartsWith("reset")), "no reset after complete: " + string.Join(" | ", calls));
        });
    }
}
