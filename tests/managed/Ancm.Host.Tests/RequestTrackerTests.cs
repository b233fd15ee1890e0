using Ancm.Host.Server;

// Shutdown waits on this count: it must complete exactly when it reaches 0.
static class RequestTrackerTests
{
    public static void Register()
    {
        TestRunner.Add("RequestTracker: idle at once with nothing in flight", () =>
            Expect.True(new RequestTracker().WhenIdle().IsCompleted, "idle"));
        TestRunner.Add("RequestTracker: idle when the last request leaves", async () =>
        {
            var tracker = new RequestTracker();
            tracker.Enter();
            tracker.Enter();
            var idle = tracker.WhenIdle();
            tracker.Exit();
            Expect.True(!idle.IsCompleted, "still one in flight");
            tracker.Exit();
            await idle.WaitAsync(TimeSpan.FromSeconds(5));
            Expect.Equal(0, tracker.Count);
        });
        TestRunner.Add("RequestTracker: many threads entering and leaving end idle", async () =>
        {
            var tracker = new RequestTracker();
            tracker.Enter();
            var idle = tracker.WhenIdle();
            await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            {
                for (var k = 0; k < 10_000; k++)
                {
                    tracker.Enter();
                    tracker.Exit();
                }
            })));
            Expect.True(!idle.IsCompleted, "the first request is still in flight");
            tracker.Exit();
            await idle.WaitAsync(TimeSpan.FromSeconds(5));
        });
    }
}
