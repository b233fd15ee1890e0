using System.Net.WebSockets;

var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

app.UseWebSockets();

app.MapGet("/", () => "websocket app");

// /ws echoes every message (text or binary) until the client closes.
app.Map("/ws", async (HttpContext context) =>
{
    if (!context.WebSockets.IsWebSocketRequest)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return;
    }

    using var socket = await context.WebSockets.AcceptWebSocketAsync();
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
});

app.Run();
