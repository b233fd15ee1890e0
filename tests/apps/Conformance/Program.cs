// The conformance suite's app: each endpoint exercises one server behaviour
// and reports what the app observed, as "name: value" lines in the response
// or, for what happens after the response, as events on GET /seen?id=<id>.
// The same published app runs in-process, out-of-process and on Kestrel
// directly, and the tests compare the three reports.
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Http.Features;

var builder = WebApplication.CreateBuilder(args);
// Log nothing: the hosting log scope reads HttpContext.TraceIdentifier, which
// would add a request-identifier feature before /features lists them.
builder.Logging.ClearProviders();
var app = builder.Build();

// Events per request id, for what the app observes after its response.
var seen = new ConcurrentDictionary<string, ConcurrentQueue<string>>();
void Note(HttpContext context, string what) =>
    seen.GetOrAdd(context.Request.Query["id"].ToString(), _ => new()).Enqueue(what);

// No routing: every endpoint is a path prefix, so odd and encoded paths reach
// /mirror exactly as the server gave them.
app.Run(async context =>
{
    var path = context.Request.Path.Value ?? "";
    var endpoint = path.Length > 1 ? path[1..].Split('/')[0] : "";
    context.Response.ContentType = "text/plain";
    switch (endpoint)
    {
        case "seen":
            var events = seen.TryGetValue(context.Request.Query["id"].ToString(), out var queue)
                ? string.Join('\n', queue) + "\n" : "";
            await context.Response.WriteAsync(events);
            break;
        case "features": await Features.Report(context); break;
        case "sync-io": await Features.SyncIo(context); break;
        case "body": await Bodies.Read(context); break;
        case "request-trailers": await Bodies.Trailers(context); break;
        case "respond": await Responses.Respond(context, what => Note(context, what)); break;
        case "abort": await Aborts.Abort(context, what => Note(context, what)); break;
        case "wait-body": await Aborts.WaitForBody(context, what => Note(context, what)); break;
        case "long-write": await Aborts.LongWrite(context, what => Note(context, what)); break;
        default: await Features.Mirror(context); break;
    }
});

app.Run();

static class Features
{
    // The server features an app may rely on, present or absent in each mode.
    static readonly Type[] Standard =
    [
        typeof(IHttpRequestFeature), typeof(IHttpResponseFeature), typeof(IHttpResponseBodyFeature),
        typeof(IHttpConnectionFeature), typeof(IHttpRequestLifetimeFeature),
        typeof(IHttpRequestIdentifierFeature), typeof(IHttpMaxRequestBodySizeFeature),
        typeof(IHttpBodyControlFeature), typeof(IHttpUpgradeFeature),
        typeof(IHttpRequestBodyDetectionFeature), typeof(IRequestBodyPipeFeature),
        typeof(IHttpRequestTrailersFeature), typeof(IHttpResponseTrailersFeature),
        typeof(ITlsConnectionFeature), typeof(IHttpResetFeature), typeof(IHttpWebSocketFeature),
        typeof(IHttpExtendedConnectFeature),
    ];

    public static Task Report(HttpContext context)
    {
        var text = new StringBuilder();
        foreach (var type in Standard)
            text.Append(type.Name).Append(": ").Append(context.Features[type] is null ? "absent" : "present").Append('\n');
        return context.Response.WriteAsync(text.ToString());
    }

    // AllowSynchronousIO is off by default: a synchronous read or write throws.
    public static async Task SyncIo(HttpContext context)
    {
        var control = context.Features.Get<IHttpBodyControlFeature>();
        var text = new StringBuilder();
        text.Append("allowSynchronousIO: ").Append(control?.AllowSynchronousIO).Append('\n');
        text.Append("read: ").Append(Attempt(() => context.Request.Body.ReadByte())).Append('\n');
        text.Append("write: ").Append(Attempt(() => context.Response.Body.Write(new byte[1], 0, 0))).Append('\n');
        text.Append("flush: ").Append(Attempt(() => context.Response.Body.Flush())).Append('\n');
        await context.Response.WriteAsync(text.ToString());
    }

    static string Attempt(Action action)
    {
        try
        {
            action();
            return "ok";
        }
        catch (Exception e)
        {
            return e.GetType().Name;
        }
    }

    // The request as the app sees it, one fact a line.
    public static async Task Mirror(HttpContext context)
    {
        var request = context.Request;
        var connection = context.Connection;
        var requestFeature = context.Features.Get<IHttpRequestFeature>()!;
        var text = new StringBuilder();
        void Line(string name, object? value) => text.Append(name).Append(": ").Append(value).Append('\n');
        Line("method", request.Method);
        Line("protocol", request.Protocol);
        Line("scheme", request.Scheme);
        Line("isHttps", request.IsHttps);
        Line("host", request.Host);
        Line("pathBase", request.PathBase.Value);
        Line("path", request.Path.Value);
        Line("query", request.QueryString.Value);
        Line("feature.path", requestFeature.Path);
        Line("feature.queryString", requestFeature.QueryString);
        Line("rawTarget", requestFeature.RawTarget);
        Line("contentLength", request.ContentLength);
        Line("canHaveBody", context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody);
        Line("upgradable", context.Features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest);
        var limit = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        Line("maxRequestBodySize", limit?.MaxRequestBodySize);
        Line("maxRequestBodySize.readOnly", limit?.IsReadOnly);
        Line("remoteIp", connection.RemoteIpAddress);
        Line("remotePort.nonZero", connection.RemotePort != 0);
        Line("localIp", connection.LocalIpAddress);
        Line("localPort.nonZero", connection.LocalPort != 0);
        Line("connectionId.nonEmpty", !string.IsNullOrEmpty(connection.Id));
        Line("traceIdentifier.nonEmpty", !string.IsNullOrEmpty(context.TraceIdentifier));
        Line("aborted", context.RequestAborted.IsCancellationRequested);
        Line("hasStarted", context.Response.HasStarted);
        Line("statusCode", context.Response.StatusCode);
        foreach (var (name, values) in request.Headers)
            foreach (var value in values)
                Line("header " + name, value);
        await context.Response.WriteAsync(text.ToString());
    }
}

static class Bodies
{
    // /body?read=stream|pipe|form|partial|none[&limit=N]: reads the request
    // body one way and tells what arrived.
    public static async Task Read(HttpContext context)
    {
        var request = context.Request;
        var how = request.Query["read"].ToString();
        var text = new StringBuilder();
        void Line(string name, object? value) => text.Append(name).Append(": ").Append(value).Append('\n');
        Line("contentLength", request.ContentLength);
        Line("transferEncoding", request.Headers.TransferEncoding.ToString());
        Line("canHaveBody", context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody);
        switch (how)
        {
            case "stream":
                Summarise(await ReadStream(request.Body, long.MaxValue), Line);
                break;
            case "partial":
                Summarise(await ReadStream(request.Body, long.Parse(request.Query["limit"].ToString())), Line);
                break;
            case "pipe":
                Summarise(await ReadPipe(request.BodyReader), Line);
                break;
            case "form":
                var form = await request.ReadFormAsync();
                foreach (var (name, values) in form)
                    Line("form " + name, values.ToString());
                break;
        }
        await context.Response.WriteAsync(text.ToString());
    }

    // /request-trailers?read=stream|none: the request trailers before and
    // after the body was read, and how the app asks for them.
    public static async Task Trailers(HttpContext context)
    {
        var request = context.Request;
        var feature = context.Features.Get<IHttpRequestTrailersFeature>();
        var text = new StringBuilder();
        void Line(string name, object? value) => text.Append(name).Append(": ").Append(value).Append('\n');
        Line("supportsTrailers", request.SupportsTrailers());
        Line("available before reading", feature?.Available);
        Line("trailers before reading", Attempt(() => feature?.Trailers.Count));
        if (request.Query["read"] == "stream")
            Line("read", (await ReadStream(request.Body, long.MaxValue)).Length);
        Line("available after reading", feature?.Available);
        Line("GetTrailer", Attempt(() => request.GetTrailer("X-Trailer")));
        if (feature is { Available: true })
        {
            foreach (var (name, values) in feature.Trailers.OrderBy(field => field.Key, StringComparer.OrdinalIgnoreCase))
                Line("trailer " + name, values.ToString());
        }
        await context.Response.WriteAsync(text.ToString());
    }

    // The value, or the type of the exception getting it threw.
    static string Attempt(Func<object?> get)
    {
        try
        {
            return get()?.ToString() ?? "null";
        }
        catch (Exception e)
        {
            return e.GetType().Name;
        }
    }

    static void Summarise(byte[] body, Action<string, object?> line)
    {
        line("read", body.Length);
        long sum = 0;
        foreach (var b in body)
            sum = (sum * 31 + b) % 1_000_000_007;
        line("checksum", sum);
        line("head", Encoding.Latin1.GetString(body, 0, Math.Min(body.Length, 32)));
    }

    static async Task<byte[]> ReadStream(Stream body, long limit)
    {
        using var copy = new MemoryStream();
        var buffer = new byte[4096];
        while (copy.Length < limit)
        {
            var read = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, limit - copy.Length)));
            if (read == 0)
                break;
            copy.Write(buffer, 0, read);
        }
        return copy.ToArray();
    }

    static async Task<byte[]> ReadPipe(PipeReader reader)
    {
        using var copy = new MemoryStream();
        while (true)
        {
            var result = await reader.ReadAsync();
            foreach (var segment in result.Buffer)
                copy.Write(segment.Span);
            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
                break;
        }
        return copy.ToArray();
    }
}

static class Responses
{
    // /respond?kind=<kind>&id=<id>: one way of producing a response.
    public static async Task Respond(HttpContext context, Action<string> note)
    {
        var response = context.Response;
        switch (context.Request.Query["kind"].ToString())
        {
            case "content-length":
                response.ContentLength = 5;
                await response.WriteAsync("hello");
                break;
            case "unsized":
                await response.WriteAsync("no length given");
                break;
            case "empty":
                break;
            case "empty-with-length":
                response.ContentLength = 0;
                break;
            case "204":
                response.StatusCode = 204;
                break;
            case "304":
                response.StatusCode = 304;
                break;
            case "204-with-body":
                response.StatusCode = 204;
                note("write: " + await Attempt(() => response.WriteAsync("body")));
                break;
            case "start-then-write":
                await response.StartAsync();
                note("hasStarted: " + response.HasStarted);
                await response.WriteAsync("written after StartAsync");
                break;
            case "complete-then-run":
                await response.WriteAsync("completed");
                await response.CompleteAsync();
                note("hasStarted: " + response.HasStarted);
                note("write after complete: " + await Attempt(() => response.WriteAsync("late")));
                note("still running");
                break;
            case "flush-first":
                await response.Body.FlushAsync();
                await response.WriteAsync("after an empty flush");
                break;
            case "body-then-flush":
                await response.WriteAsync("body, ");
                await response.Body.FlushAsync();
                await response.WriteAsync("then more");
                break;
            case "many-small-writes":
                for (var i = 0; i < 2000; i++)
                    await response.WriteAsync(((char)('a' + i % 26)).ToString());
                break;
            case "pipe-writer":
                var memory = response.BodyWriter.GetMemory(11);
                Encoding.ASCII.GetBytes("pipe writer", memory.Span);
                response.BodyWriter.Advance(11);
                await response.BodyWriter.FlushAsync();
                break;
            case "content-length-too-short":
                response.ContentLength = 10;
                note("write: " + await Attempt(() => response.WriteAsync("only5")));
                break;
            case "content-length-too-long":
                response.ContentLength = 2;
                note("write: " + await Attempt(() => response.WriteAsync("three")));
                break;
            case "headers-after-start":
                await response.WriteAsync("started");
                note("set header: " + await Attempt(() =>
                {
                    response.Headers["X-Late"] = "late";
                    return Task.CompletedTask;
                }));
                note("set status: " + await Attempt(() =>
                {
                    response.StatusCode = 201;
                    return Task.CompletedTask;
                }));
                break;
            case "callbacks":
                response.OnStarting(() => { note("OnStarting first registered"); return Task.CompletedTask; });
                response.OnStarting(() => { note("OnStarting second registered"); return Task.CompletedTask; });
                response.OnCompleted(() => { note("OnCompleted first registered"); return Task.CompletedTask; });
                response.OnCompleted(() => { note("OnCompleted second registered"); return Task.CompletedTask; });
                note("before write");
                await response.WriteAsync("callbacks");
                note("after write");
                break;
            case "on-starting-throws":
                response.OnStarting(() => throw new InvalidTimeZoneException("from OnStarting"));
                note("write: " + await Attempt(() => response.WriteAsync("never")));
                break;
            case "write-in-on-starting":
                // A write from an OnStarting callback starts the response itself:
                // the callbacks still waiting run first, then the head goes out.
                response.OnStarting(() => { note("OnStarting registered first ran"); return Task.CompletedTask; });
                response.OnStarting(async () =>
                {
                    response.Headers["X-From-OnStarting"] = "set";
                    note("write in OnStarting: " + await Attempt(() => response.WriteAsync("from OnStarting, ")));
                    note("hasStarted in OnStarting: " + response.HasStarted);
                });
                await response.WriteAsync("then the app");
                note("after write");
                break;
            case "pipe-writer-in-on-starting":
                response.OnStarting(async () =>
                {
                    var span = response.BodyWriter.GetMemory(17);
                    Encoding.ASCII.GetBytes("from OnStarting, ", span.Span);
                    response.BodyWriter.Advance(17);
                    await response.BodyWriter.FlushAsync();
                    note("hasStarted in OnStarting: " + response.HasStarted);
                });
                await response.WriteAsync("then the app");
                note("after write");
                break;
            case "on-completed-throws":
                response.OnCompleted(() => throw new InvalidTimeZoneException("from OnCompleted"));
                response.OnCompleted(() => { note("OnCompleted registered first ran"); return Task.CompletedTask; });
                await response.WriteAsync("on completed throws");
                break;
            case "throw-before-head":
                response.Headers["X-Lost"] = "dropped with the 500";
                throw new InvalidTimeZoneException("before the head");
            case "throw-after-head":
                await response.WriteAsync("partial");
                await response.Body.FlushAsync();
                throw new InvalidTimeZoneException("after the head");
            case "throw-after-sized-head":
                response.ContentLength = 100;
                await response.WriteAsync("partial");
                await response.Body.FlushAsync();
                throw new InvalidTimeZoneException("after the head");
            case "trailers":
                note("supportsTrailers: " + response.SupportsTrailers());
                response.DeclareTrailer("X-Trailer");
                await response.WriteAsync("with trailers");
                if (response.SupportsTrailers())
                    response.AppendTrailer("X-Trailer", "trailer value");
                break;
        }
    }

    public static async Task<string> Attempt(Func<Task> action)
    {
        try
        {
            await action();
            return "ok";
        }
        catch (Exception e)
        {
            return e.GetType().Name;
        }
    }
}

static class Aborts
{
    // /abort?when=before-head|after-head|mid-body&id=<id>: HttpContext.Abort()
    // in one phase of the response, then what the app observes.
    public static async Task Abort(HttpContext context, Action<string> note)
    {
        var response = context.Response;
        var when = context.Request.Query["when"].ToString();
        if (when == "mid-body")
            response.ContentLength = 100;
        if (when != "before-head")
        {
            await response.WriteAsync("some of the body");
            await response.Body.FlushAsync();
        }
        context.Abort();
        note("aborted token: " + context.RequestAborted.IsCancellationRequested);
        note("write after abort: " + await Responses.Attempt(() => response.WriteAsync("more")));
    }

    // /wait-body?id=<id>: waits for a body the client never finishes.
    public static async Task WaitForBody(HttpContext context, Action<string> note)
    {
        var aborted = new TaskCompletionSource();
        context.RequestAborted.Register(() => aborted.TrySetResult());
        note("waiting");
        try
        {
            var buffer = new byte[64 * 1024];
            while (await context.Request.Body.ReadAsync(buffer) > 0)
            {
            }
            note("read: end of body");
        }
        catch (Exception)
        {
            note("read: threw");
        }
        await aborted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        note("RequestAborted fired");
    }

    // /long-write?id=<id>: writes until the client goes away. Writes to a
    // lost client return at once, and the token's cancellation is queued to
    // the thread pool (Kestrel's too): on one CPU the loop may end before it
    // ran, so what the app learns is checked after a bounded wait for it.
    public static async Task LongWrite(HttpContext context, Action<string> note)
    {
        var aborted = new TaskCompletionSource();
        context.RequestAborted.Register(() => aborted.TrySetResult());
        var chunk = new byte[64 * 1024];
        note("writing");
        try
        {
            for (var i = 0; i < 100_000 && !context.RequestAborted.IsCancellationRequested; i++)
                await context.Response.Body.WriteAsync(chunk);
            note("stopped: token");
        }
        catch (Exception)
        {
            note("stopped: write threw");
        }
        await Task.WhenAny(aborted.Task, Task.Delay(TimeSpan.FromSeconds(10)));
        note("RequestAborted: " + context.RequestAborted.IsCancellationRequested);
    }
}
