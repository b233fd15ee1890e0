// The benchmark's app for the 1 MiB workloads (bench/run); `/` is the same
// endpoint as the stock hello app.
//   GET  /        "Hello World!"
//   GET  /1mb     a cached 1 MiB byte array (application/octet-stream)
//   POST /upload  reads and discards the body, answers the byte count
using System.Buffers;

var payload = new byte[1024 * 1024];
for (int i = 0; i < payload.Length; i++) payload[i] = (byte)('a' + i % 26);

var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

app.MapGet("/", () => "Hello World!");

app.MapGet("/1mb", () => Results.Bytes(payload, "application/octet-stream"));

app.MapPost("/upload", async (HttpRequest request) =>
{
    var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
    long total = 0;
    try
    {
        int read;
        while ((read = await request.Body.ReadAsync(buffer)) > 0) total += read;
    }
    finally
    {
        ArrayPool<byte>.Shared.Return(buffer);
    }
    return Results.Text(total.ToString());
});

app.Run();
