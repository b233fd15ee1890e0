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

app.Run();
