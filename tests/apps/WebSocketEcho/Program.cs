var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

app.UseWebSockets();

app.MapGet("/", () => "websocket app");

// /ws echoes every message (text or binary) until the client closes.
app.MapWebSocketEcho();

app.Run();
