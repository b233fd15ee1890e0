// Endpoints that more than one test app serves, written once: an app's .csproj
// compiles this file in (<Compile Include="../Shared/SharedEndpoints.cs" />)
// and tests/apps/CMakeLists.txt republishes it when the file changes.
using System.Net.WebSockets;

static class SharedEndpoints
{
    // WebSockets whose handler still runs: a tunnel a proxy left open shows here.
    private static int openWebSockets;

    /// <summary>
    /// /ws echoes every WebSocket message (text or binary) until the client closes;
    /// GET /ws-open says how many /ws handlers still run.
    /// </summary>
    public static void MapWebSocketEcho(this WebApplication app)
    {
        app.Map("/ws", async (HttpContext context) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            Interlocked.Increment(ref openWebSockets);
            try
            {
                await EchoUntilClosedAsync(socket);
            }
            finally
            {
                Interlocked.Decrement(ref openWebSockets);
            }
        });
        app.MapGet("/ws-open", () => Volatile.Read(ref openWebSockets).ToString());
    }

    private static async Task EchoUntilClosedAsync(WebSocket socket)
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseAsync(received.CloseStatus ?? WebSocketCloseStatus.NormalClosure,
                    received.CloseStatusDescription, CancellationToken.None);
                return;
            }
            await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType,
                received.EndOfMessage, CancellationToken.None);
        }
    }

    /// <summary>GET /stream?chunks=N&amp;ms=M writes N lines, flushing each, M ms apart.</summary>
    public static void MapStreamedPieces(this WebApplication app) =>
        app.MapGet("/stream", async (HttpContext context, int? chunks, int? ms) =>
        {
            context.Response.ContentType = "text/plain";
            var count = chunks ?? 3;
            for (var k = 1; k <= count; k++)
            {
                await context.Response.WriteAsync($"piece {k}\n");
                await context.Response.Body.FlushAsync();
                if (k < count)
                    await Task.Delay(ms ?? 0);
            }
        });
}
