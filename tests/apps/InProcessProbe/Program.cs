using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;

// A probe for the in-process tests: it tells what the host gave it (server,
// request, stack sizes, environment) and does what the tests need (echo,
// streaming, statuses, aborts, WebSockets, failures). It does not reference
// Ancm.Host: under ancm-host the startup hook puts the server in.

// Main runs on the host's CLR thread: its stack is what stackSize set.
var mainThreadStack = ThreadStack.CurrentSize();
Console.WriteLine("InProcessProbe: started");
// PROBE_STARTUP_DELAY_MS: a slow start, for tests of what happens meanwhile.
if (int.TryParse(Environment.GetEnvironmentVariable("PROBE_STARTUP_DELAY_MS"), out var startupDelay))
    Thread.Sleep(startupDelay);

var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.UseWebSockets();

// HEAD too: the tests check that a HEAD response carries no body.
app.MapMethods("/", ["GET", "HEAD"], () => "in-process probe");
app.MapGet("/pid", () => Environment.ProcessId.ToString());
app.MapGet("/server", (IServiceProvider services) => services.GetRequiredService<IServer>().GetType().Name);

// GET /request (or /request/anything): one "name: value" line per fact, one
// line per header value.
var describeRequest = (HttpContext context) =>
{
    var request = context.Request;
    var connection = context.Connection;
    var text = new StringBuilder();
    text.Append("method: ").Append(request.Method).Append('\n');
    text.Append("path: ").Append(request.Path.Value).Append('\n');
    text.Append("pathBase: ").Append(request.PathBase.Value).Append('\n');
    text.Append("query: ").Append(request.QueryString.Value).Append('\n');
    text.Append("protocol: ").Append(request.Protocol).Append('\n');
    text.Append("scheme: ").Append(request.Scheme).Append('\n');
    text.Append("rawTarget: ").Append(context.Features.Get<IHttpRequestFeature>()?.RawTarget).Append('\n');
    text.Append("remote: ").Append(connection.RemoteIpAddress).Append(':').Append(connection.RemotePort).Append('\n');
    text.Append("local: ").Append(connection.LocalIpAddress).Append(':').Append(connection.LocalPort).Append('\n');
    text.Append("canHaveBody: ").Append(context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody).Append('\n');
    foreach (var (name, values) in request.Headers)
    {
        foreach (var value in values)
            text.Append("header ").Append(name).Append(": ").Append(value).Append('\n');
    }
    return Results.Text(text.ToString());
};
string[] anyMethod = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"];
app.MapMethods("/request", anyMethod, describeRequest);
app.MapMethods("/request/{**rest}", anyMethod, describeRequest);

// GET /clientcert: the subject of the certificate the client gave in its TLS
// handshake, or "none" (in-process from the server's TLS feature,
// out-of-process from the proxy's MS-ASPNETCORE-CLIENTCERT through IIS integration).
app.MapGet("/clientcert", async (HttpContext context) =>
{
    var certificate = await context.Connection.GetClientCertificateAsync();
    return certificate?.Subject ?? "none";
});

// POST /echo streams the body back; ?unlimited=1 lifts the request body
// limit, ?limit=N sets it to N bytes.
app.MapPost("/echo", async (HttpContext context, int? unlimited, long? limit) =>
{
    if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeLimit)
    {
        if (unlimited == 1)
            sizeLimit.MaxRequestBodySize = null;
        else if (limit is not null)
            sizeLimit.MaxRequestBodySize = limit;
    }
    context.Response.ContentType = "application/octet-stream";
    await context.Request.Body.CopyToAsync(context.Response.Body, context.RequestAborted);
});

// GET /stream?chunks=N&ms=M writes N lines, flushing each, M ms apart.
app.MapStreamedPieces();

// GET /status/{code}?reason=... answers with that status (and reason phrase).
app.MapGet("/status/{code:int}", (HttpContext context, int code, string? reason) =>
{
    context.Response.StatusCode = code;
    if (reason is not null)
        context.Features.Get<IHttpResponseFeature>()!.ReasonPhrase = reason;
    return Task.CompletedTask;
});

// GET /aborted?ms=N waits up to N ms for RequestAborted; /aborted/last tells what happened.
app.MapGet("/aborted", async (HttpContext context, int? ms) =>
{
    AbortProbe.Last = "waiting";
    try
    {
        await Task.Delay(ms ?? 10_000, context.RequestAborted);
        AbortProbe.Last = "not aborted";
        return "not aborted";
    }
    catch (OperationCanceledException)
    {
        AbortProbe.Last = "aborted";
        return "aborted";
    }
});
app.MapGet("/aborted/last", () => AbortProbe.Last);

// GET /stack: the stack sizes threads really have, as "main=<bytes>" (the
// thread that ran Main) and "pool=<bytes>" (this request's thread-pool thread).
app.MapGet("/stack", () =>
    $"main={mainThreadStack}\npool={ThreadStack.CurrentSize()}\nthread-pool-thread={Thread.CurrentThread.IsThreadPoolThread}\n");

// GET /recurse?depth=N[&thread=new]: about 1 KiB of stack per level.
app.MapGet("/recurse", (int? depth, string? thread) =>
{
    var target = depth ?? 100;
    var reached = thread == "new" ? Recursion.OnNewThread(target) : Recursion.Recurse(0, target);
    return reached.ToString();
});

app.MapGet("/env/{name}", (string name) =>
    Environment.GetEnvironmentVariable(name) is { } value ? Results.Text(value) : Results.NotFound());

// /ws echoes every WebSocket message until the client closes.
app.MapWebSocketEcho();

app.MapGet("/throw", string () => throw new InvalidOperationException("boom from a request"));

// GET /throw-after-start: the response has begun, so the client must see it cut short.
app.MapGet("/throw-after-start", async (HttpContext context) =>
{
    context.Response.ContentLength = 100;
    await context.Response.WriteAsync("partial ");
    await context.Response.Body.FlushAsync();
    throw new InvalidOperationException("boom after the response started");
});

// ---- Error paths (tests/e2e/inproc_disconnect_test.cpp): each request names
// itself with ?id=, and GET /events lists what the app observed, one
// "<id>: <what>" line each, read afterwards on another connection.
var events = new System.Collections.Concurrent.ConcurrentQueue<string>();
void Observed(string id, string what) => events.Enqueue($"{id}: {what}");
static string Describe(Exception e) =>
    e is BadHttpRequestException bad ? $"{e.GetType().Name} {bad.StatusCode}" : e.GetType().Name;
app.MapGet("/events", () => string.Join('\n', events) + "\n");

// /wait-aborted?id=: reads nothing, waits up to 30 s for RequestAborted.
app.MapMethods("/wait-aborted", ["GET", "POST"], async (HttpContext context, string id) =>
{
    Observed(id, "waiting");
    try
    {
        await Task.Delay(30_000, context.RequestAborted);
        Observed(id, "not aborted");
    }
    catch (OperationCanceledException)
    {
        Observed(id, "aborted");
    }
});

// /wait-aborted-uncaught?id=: as /wait-aborted, but the cancellation escapes
// the app; "completed" once the server ended the request.
app.MapMethods("/wait-aborted-uncaught", ["GET", "POST"], async (HttpContext context, string id) =>
{
    context.Response.OnCompleted(() =>
    {
        Observed(id, "completed");
        return Task.CompletedTask;
    });
    Observed(id, "waiting");
    await Task.Delay(30_000, context.RequestAborted);
    Observed(id, "not aborted");
});

// POST /read?id=: reads the body to its end; "reading at <bytes so far>" before
// each read, then "read <bytes>" or "read threw <exception>". A failed read is
// rethrown, so the server answers as it does for any app.
app.MapPost("/read", async (HttpContext context, string id) =>
{
    var buffer = new byte[4096];
    long total = 0;
    try
    {
        int n;
        do
        {
            Observed(id, $"reading at {total}");
            n = await context.Request.Body.ReadAsync(buffer, context.RequestAborted);
            total += n;
        } while (n > 0);
    }
    catch (Exception e)
    {
        Observed(id, "read threw " + Describe(e));
        throw;
    }
    Observed(id, $"read {total}");
    return $"read {total}";
});

// /write-until-aborted?id=: writes a line every 20 ms with RequestAborted
// (reading no body) until a write fails; "wrote" after the first line, then
// "write threw <exception>".
app.MapMethods("/write-until-aborted", ["GET", "POST"], async (HttpContext context, string id) =>
{
    context.Response.ContentType = "text/plain";
    var line = Encoding.ASCII.GetBytes("line\n");
    var started = Environment.TickCount64;
    try
    {
        for (var first = true; Environment.TickCount64 - started < 30_000; first = false)
        {
            await context.Response.Body.WriteAsync(line, context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            if (first)
                Observed(id, "wrote");
            await Task.Delay(20);
        }
        Observed(id, "never failed");
    }
    catch (Exception e)
    {
        Observed(id, "write threw " + Describe(e));
    }
});

// POST /abort?id=&phase=before|pending|after-flush|mid-body: HttpContext.Abort()
// at that point, then a body read and a write: "read ..." and "write ..." say
// what they did.
app.MapPost("/abort", async (HttpContext context, string id, string phase) =>
{
    var buffer = new byte[64];
    try
    {
        ValueTask<int> read;
        switch (phase)
        {
            case "pending":
                read = context.Request.Body.ReadAsync(buffer);
                Observed(id, read.IsCompleted ? "read done before the abort" : "read pending");
                context.Abort();
                break;
            case "after-flush":
                await context.Response.WriteAsync("head and a line\n");
                await context.Response.Body.FlushAsync();
                context.Abort();
                read = context.Request.Body.ReadAsync(buffer);
                break;
            case "mid-body":
                Observed(id, $"first read {await context.Request.Body.ReadAsync(buffer)}");
                context.Abort();
                read = context.Request.Body.ReadAsync(buffer);
                break;
            default:
                context.Abort();
                read = context.Request.Body.ReadAsync(buffer);
                break;
        }
        Observed(id, $"read {await read}");
    }
    catch (Exception e)
    {
        Observed(id, "read threw " + Describe(e));
    }
    try
    {
        await context.Response.Body.WriteAsync(Encoding.ASCII.GetBytes("after the abort\n"));
        Observed(id, "write returned");
    }
    catch (Exception e)
    {
        Observed(id, "write threw " + Describe(e));
    }
    Observed(id, "done");
});

app.Run();

static class AbortProbe
{
    public static volatile string Last = "none";
}
