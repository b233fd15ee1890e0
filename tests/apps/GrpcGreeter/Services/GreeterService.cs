using System.Text;
using Grpc.Core;

namespace GrpcGreeter.Services;

public sealed class GreeterService(CancellationCounter cancellations, ILogger<GreeterService> logger)
    : Greeter.GreeterBase
{
    public override Task<HelloReply> SayHello(HelloRequest request, ServerCallContext context) =>
        Task.FromResult(new HelloReply { Message = "Hello " + request.Name });

    public override async Task SayHellos(HelloRequest request, IServerStreamWriter<HelloReply> responseStream,
        ServerCallContext context)
    {
        for (var k = 1; k <= request.Count; k++)
            await responseStream.WriteAsync(new HelloReply { Message = $"Hello {request.Name} {k}" });
    }

    public override async Task<HelloReply> CollectHellos(IAsyncStreamReader<HelloRequest> requestStream,
        ServerCallContext context)
    {
        var names = new StringBuilder();
        await foreach (var request in requestStream.ReadAllAsync())
            names.Append(names.Length == 0 ? "" : ",").Append(request.Name);
        return new HelloReply { Message = "Hello " + names };
    }

    public override async Task Chat(IAsyncStreamReader<HelloRequest> requestStream,
        IServerStreamWriter<HelloReply> responseStream, ServerCallContext context)
    {
        await foreach (var request in requestStream.ReadAllAsync())
            await responseStream.WriteAsync(new HelloReply { Message = "Hello " + request.Name });
    }

    public override async Task Slow(SlowRequest request, IServerStreamWriter<HelloReply> responseStream,
        ServerCallContext context)
    {
        await responseStream.WriteAsync(new HelloReply { Message = "started" });
        try
        {
            await Task.Delay(request.Milliseconds, context.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            cancellations.Add();
            logger.LogInformation("Slow call cancelled");
            throw;
        }
        await responseStream.WriteAsync(new HelloReply { Message = "done" });
    }

    public override Task<CountReply> CancelledCount(CountRequest request, ServerCallContext context) =>
        Task.FromResult(new CountReply { Count = cancellations.Count });
}
