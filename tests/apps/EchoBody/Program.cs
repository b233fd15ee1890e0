using Microsoft.AspNetCore.Http.Features;

var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

app.MapGet("/", () => "echo app");

// POST /echo streams the request body back, whatever its size.
app.MapPost("/echo", async (HttpContext context) =>
{
    var limit = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
    if (limit is { IsReadOnly: false })
        limit.MaxRequestBodySize = null;

    context.Response.ContentType = "application/octet-stream";
    await context.Request.Body.CopyToAsync(context.Response.Body);
});

// GET /stream?chunks=N&ms=M writes N lines, flushing each, M ms apart.
app.MapStreamedPieces();

// The proxy-conformance endpoints (tests/e2e/proxy_conformance_test.cpp).
// Requests parked until a test releases them, by key.
var parked = new System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource>();
TaskCompletionSource Park(string key) =>
    parked.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

// GET /release?key=K lets the request parked under K go on.
app.MapGet("/release", (string key) =>
{
    Park(key).TrySetResult();
    return "released\n";
});

// POST /flushed-echo: the head goes out first, then each piece of the body
// is echoed and flushed as it arrives. StartAsync alone commits the head but
// Kestrel sends it only with the first flush (dotnet/aspnetcore#7780): a
// client that waits for it before sending the body would wait for good.
app.MapPost("/flushed-echo", async (HttpContext context) =>
{
    context.Response.ContentType = "application/octet-stream";
    await context.Response.StartAsync();
    await context.Response.Body.FlushAsync();
    var buffer = new byte[16 * 1024];
    int got;
    while ((got = await context.Request.Body.ReadAsync(buffer)) > 0)
    {
        await context.Response.Body.WriteAsync(buffer.AsMemory(0, got));
        await context.Response.Body.FlushAsync();
    }
});

// GET /events?key=K: server-sent events that start with the head alone; the
// one event follows once K is released.
app.MapGet("/events", async (HttpContext context, string key) =>
{
    context.Response.ContentType = "text/event-stream";
    await context.Response.Body.FlushAsync();
    await Park(key).Task.WaitAsync(TimeSpan.FromMinutes(2));
    await context.Response.WriteAsync("data: released\n\n");
});

// GET /complete-then-run?key=K: the response ends (CompleteAsync) while the
// handler runs on until K is released. GET /running?key=K says whether that
// handler still runs ("running\n") or not ("not running\n").
var running = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>();
app.MapGet("/complete-then-run", async (HttpContext context, string key) =>
{
    running[key] = true;
    try
    {
        await context.Response.WriteAsync("completed\n");
        await context.Response.CompleteAsync();
        await Park(key).Task.WaitAsync(TimeSpan.FromMinutes(2));
    }
    finally
    {
        running[key] = false;
    }
});
app.MapGet("/running", (string key) =>
    running.TryGetValue(key, out var yes) && yes ? "running\n" : "not running\n");

// GET /close: the app ends the connection with its response.
app.MapGet("/close", (HttpContext context) =>
{
    context.Response.Headers.Connection = "close";
    return "closing\n";
});

// GET /reason?code=N[&reason=R]: status N with reason phrase R (none: the server's).
app.MapGet("/reason", (HttpContext context, int code, string? reason) =>
{
    context.Response.StatusCode = code;
    if (reason is not null)
        context.Features.Get<IHttpResponseFeature>()!.ReasonPhrase = reason;
    return Task.CompletedTask;
});

// GET /bytes?n=N[&piece=P][&ms=M][&cutAt=K]: N bytes with a Content-Length,
// byte i being (i * 7 + i / 4096) % 251 (tests/e2e/proxy_large_body_test.cpp
// checks each), written and flushed P bytes at a time (64 KiB), M ms apart;
// with cutAt the connection is aborted once K bytes went out.
app.MapGet("/bytes", async (HttpContext context, long n, int? piece, int? ms, long? cutAt) =>
{
    context.Response.ContentType = "application/octet-stream";
    context.Response.ContentLength = n;
    var buffer = new byte[piece ?? 64 * 1024];
    for (long sent = 0; sent < n;)
    {
        if (cutAt is long cut && sent >= cut)
        {
            context.Abort();
            return;
        }
        var count = (int)Math.Min(buffer.Length, n - sent);
        for (var k = 0; k < count; k++)
        {
            var i = sent + k;
            buffer[k] = (byte)((i * 7 + i / 4096) % 251);
        }
        await context.Response.Body.WriteAsync(buffer.AsMemory(0, count));
        await context.Response.Body.FlushAsync();
        sent += count;
        if (ms is int wait && wait > 0 && sent < n)
            await Task.Delay(wait);
    }
});

app.Run();
