// Request body size limits as an app sees and changes them, for the
// body-limit tests. Body endpoints answer "limit=<the app's limit when the
// handler began, or none> read=<bytes read>"; GET /events lists what ran and
// every BadHttpRequestException the app saw (rethrown, so the server answers
// with its status, as Kestrel and IIS do). Handlers write their answer
// themselves: a lambda taking only HttpContext is a RequestDelegate, whose
// return value is dropped.
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;

var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

var events = new ConcurrentQueue<string>();
app.Use(async (context, next) =>
{
    if (context.Request.Path != "/events")
        events.Enqueue($"ran {context.Request.Method} {context.Request.Path}");
    await next(context);
});

// GET /events: one line per request that reached the app, and per failed read.
app.MapGet("/events", () => string.Join('\n', events) + "\n");

// The limit the server gives every request.
app.MapPost("/default", (HttpContext context) => ReadAllAsync(context));

// No limit from the app: only the host's is left.
app.MapPost("/unlimited", [DisableRequestSizeLimit] (HttpContext context) => ReadAllAsync(context));

// POST /lowered?to=N: the app lowers its limit before reading.
app.MapPost("/lowered", (HttpContext context) =>
{
    var limit = context.Features.GetRequiredFeature<IHttpMaxRequestBodySizeFeature>();
    limit.MaxRequestBodySize = long.Parse(context.Request.Query["to"].ToString());
    return ReadAllAsync(context);
});

// Reads the first byte, then tries to change the limit: too late.
app.MapPost("/too-late", async (HttpContext context) =>
{
    var limit = context.Features.GetRequiredFeature<IHttpMaxRequestBodySizeFeature>();
    var first = await context.Request.Body.ReadAsync(new byte[1]);
    var readOnly = limit.IsReadOnly;
    string set;
    try
    {
        limit.MaxRequestBodySize = 10;
        set = "accepted";
    }
    catch (InvalidOperationException e)
    {
        set = "threw " + e.GetType().Name;
    }
    await context.Response.WriteAsync($"read={first} read-only={readOnly} set={set}\n");
});

// POST /raise-after-413?to=N: a declared length over N fails the first read;
// the app then lifts its limit and reads, as Kestrel and IIS allow while no
// byte has been read.
app.MapPost("/raise-after-413", async (HttpContext context) =>
{
    var limit = context.Features.GetRequiredFeature<IHttpMaxRequestBodySizeFeature>();
    limit.MaxRequestBodySize = long.Parse(context.Request.Query["to"].ToString());
    var buffer = new byte[64 * 1024];
    string first;
    try
    {
        first = "read " + await context.Request.Body.ReadAsync(buffer);
    }
    catch (BadHttpRequestException e)
    {
        first = "refused " + e.StatusCode;
        limit.MaxRequestBodySize = null;
    }
    long read = 0;
    int n;
    while ((n = await context.Request.Body.ReadAsync(buffer)) > 0)
        read += n;
    await context.Response.WriteAsync($"first={first} then read={read}\n");
});

app.Run();

async Task ReadAllAsync(HttpContext context)
{
    var limit = context.Features.GetRequiredFeature<IHttpMaxRequestBodySizeFeature>().MaxRequestBodySize;
    var buffer = new byte[64 * 1024];
    long read = 0;
    try
    {
        int n;
        while ((n = await context.Request.Body.ReadAsync(buffer)) > 0)
            read += n;
    }
    catch (BadHttpRequestException e)
    {
        events.Enqueue($"{context.Request.Path}: BadHttpRequestException {e.StatusCode}");
        throw;
    }
    await context.Response.WriteAsync($"limit={limit?.ToString() ?? "none"} read={read}\n");
}
