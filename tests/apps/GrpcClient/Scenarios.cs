using Grpc.Core;
using GrpcGreeter;

namespace GrpcClient;

// One method per scenario; each prints what came back and says whether it is
// what GrpcGreeter answers.
internal sealed class Scenarios(Greeter.GreeterClient client)
{
    // Long enough that only a deadline or a cancellation ends it.
    private const int SlowMilliseconds = 120_000;

    public Task<bool> RunAsync(string scenario) => scenario switch
    {
        "unary" => UnaryAsync(),
        "server-streaming" => ServerStreamingAsync(),
        "client-streaming" => ClientStreamingAsync(),
        "slow-client-streaming" => SlowClientStreamingAsync(),
        "bidi" => BidiAsync(),
        "deadline" => DeadlineAsync(),
        "cancel" => CancelAsync(),
        _ => throw new ArgumentException($"unknown scenario '{scenario}'"),
    };

    private async Task<bool> UnaryAsync()
    {
        var reply = await client.SayHelloAsync(new HelloRequest { Name = "ancm" });
        return Expect("unary", reply.Message, "Hello ancm");
    }

    private async Task<bool> ServerStreamingAsync()
    {
        using var call = client.SayHellos(new HelloRequest { Name = "ancm", Count = 5 });
        var got = new List<string>();
        await foreach (var reply in call.ResponseStream.ReadAllAsync())
            got.Add(reply.Message);
        var expected = Enumerable.Range(1, 5).Select(k => $"Hello ancm {k}");
        return Expect("server-streaming", string.Join("|", got), string.Join("|", expected));
    }

    private async Task<bool> ClientStreamingAsync()
    {
        using var call = client.CollectHellos();
        foreach (var name in new[] { "a", "b", "c" })
            await call.RequestStream.WriteAsync(new HelloRequest { Name = name });
        await call.RequestStream.CompleteAsync();
        var reply = await call;
        return Expect("client-streaming", reply.Message, "Hello a,b,c");
    }

    // A pause longer than the server's grace period for slow request bodies
    // (Kestrel's MinRequestBodyDataRate, 5 s): gRPC turns the minimum off for
    // client streams, and a server must let it (IHttpMinRequestBodyDataRateFeature).
    private async Task<bool> SlowClientStreamingAsync()
    {
        using var call = client.CollectHellos();
        await call.RequestStream.WriteAsync(new HelloRequest { Name = "a" });
        await Task.Delay(TimeSpan.FromSeconds(6));
        await call.RequestStream.WriteAsync(new HelloRequest { Name = "b" });
        await call.RequestStream.CompleteAsync();
        var reply = await call;
        return Expect("slow-client-streaming", reply.Message, "Hello a,b");
    }

    // Each reply is read before the next request is sent: the answer to one
    // message must come while the request stream is still open.
    private async Task<bool> BidiAsync()
    {
        using var call = client.Chat();
        var got = new List<string>();
        foreach (var name in new[] { "x", "y", "z" })
        {
            await call.RequestStream.WriteAsync(new HelloRequest { Name = name });
            if (!await call.ResponseStream.MoveNext(CancellationToken.None))
                return Expect("bidi", string.Join("|", got) + "|<end>", "Hello x|Hello y|Hello z");
            got.Add(call.ResponseStream.Current.Message);
        }
        await call.RequestStream.CompleteAsync();
        var extra = await call.ResponseStream.MoveNext(CancellationToken.None);
        return Expect("bidi", string.Join("|", got) + (extra ? "|<more>" : ""), "Hello x|Hello y|Hello z");
    }

    private async Task<bool> DeadlineAsync()
    {
        using var call = client.Slow(new SlowRequest { Milliseconds = SlowMilliseconds },
            deadline: DateTime.UtcNow.AddSeconds(1));
        var status = await StatusAfterStartedAsync(call, cancel: null);
        return Expect("deadline", status, StatusCode.DeadlineExceeded.ToString());
    }

    // The client cancels a call once the server said it runs; then the server
    // must have seen it end too (its cancellation count goes up), asked until it has.
    private async Task<bool> CancelAsync()
    {
        var before = (await client.CancelledCountAsync(new CountRequest())).Count;
        using var cancel = new CancellationTokenSource();
        using var call = client.Slow(new SlowRequest { Milliseconds = SlowMilliseconds },
            cancellationToken: cancel.Token);
        var status = await StatusAfterStartedAsync(call, cancel);
        if (!Expect("cancel (client)", status, StatusCode.Cancelled.ToString()))
            return false;
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var after = (await client.CancelledCountAsync(new CountRequest())).Count;
            if (after > before)
                return Expect("cancel (server)", "seen", "seen");
            await Task.Delay(50);
        }
        return Expect("cancel (server)", "not seen", "seen");
    }

    // Reads "started", cancels when asked to, then reads on until the call ends.
    private static async Task<string> StatusAfterStartedAsync(AsyncServerStreamingCall<HelloReply> call,
        CancellationTokenSource? cancel)
    {
        try
        {
            if (!await call.ResponseStream.MoveNext(CancellationToken.None))
                return "ended before 'started'";
            Console.WriteLine("slow call: " + call.ResponseStream.Current.Message);
            cancel?.Cancel();
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
                Console.WriteLine("slow call: " + call.ResponseStream.Current.Message);
            return StatusCode.OK.ToString();
        }
        catch (RpcException e)
        {
            Console.WriteLine($"slow call ended: {e.Status}");
            return e.StatusCode.ToString();
        }
    }

    private static bool Expect(string what, string got, string expected)
    {
        Console.WriteLine($"{what}: got '{got}'" + (got == expected ? "" : $", expected '{expected}'"));
        return got == expected;
    }
}
