// Warm-start tests: the app appends what happens to it, in order, to the file
// named by WARMUP_LOG (one line each, with its pid), so a test can tell when
// it started and which requests came before which.
//   started <pid>                        when Main runs, before the host is built
//                                        (and before WARMUP_START_MS, if set)
//   listening <pid>                      once the server listens (ApplicationStarted)
//   request <pid> <path> <user-agent>    every request, as it arrives
// GET /warmup answers 200 (?status=N: N; ?ms=N: after N ms; ?firstMs=N: after
// N ms on its first call only; ?halvingMs=N: after N ms, then half of that on
// each further call), GET / "Hello".
var log = Environment.GetEnvironmentVariable("WARMUP_LOG");
var gate = new object();
void Record(string line)
{
    if (log is null) return;
    lock (gate) File.AppendAllText(log, line + "\n");
}
var pid = Environment.ProcessId;
Record($"started {pid}");
// WARMUP_START_MS=N: a slow start, N ms before the host is built.
if (int.TryParse(Environment.GetEnvironmentVariable("WARMUP_START_MS"), out var startMs))
    Thread.Sleep(startMs);

var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.Lifetime.ApplicationStarted.Register(() => Record($"listening {pid}"));
app.Use(async (context, next) =>
{
    Record($"request {pid} {context.Request.Path} {context.Request.Headers.UserAgent}");
    await next(context);
});

app.MapGet("/", () => "Hello");
var warmupCalls = 0;
app.MapGet("/warmup", async (int? status, int? ms, int? firstMs, int? halvingMs) =>
{
    var call = Interlocked.Increment(ref warmupCalls) - 1;
    if (ms is int delay) await Task.Delay(delay);
    if (firstMs is int first && call == 0) await Task.Delay(first);
    if (halvingMs is int halving) await Task.Delay(halving >> Math.Min(call, 30));
    return Results.Text("warm", statusCode: status ?? 200);
});

app.Run();
