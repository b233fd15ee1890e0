// A minimal runner: each test is a named action that throws on failure. The
// closing "N passed, N failed" line is what ctest and CI read.
static class TestRunner
{
    private static readonly List<(string Name, Func<Task> Run)> s_tests = [];

    public static void Add(string name, Action test) => s_tests.Add((name, () => { test(); return Task.CompletedTask; }));

    public static void Add(string name, Func<Task> test) => s_tests.Add((name, test));

    public static async Task<int> RunAsync()
    {
        int passed = 0, failed = 0;
        foreach (var (name, run) in s_tests)
        {
            try
            {
                await run();
                passed++;
                Console.WriteLine($"[ PASS ] {name}");
            }
            catch (Exception e)
            {
                failed++;
                Console.WriteLine($"[ FAIL ] {name}: {e}");
            }
        }
        Console.WriteLine($"{passed} passed, {failed} failed");
        return failed == 0 ? 0 : 1;
    }
}

static class Expect
{
    public static void Equal<T>(T expected, T actual, string? what = null)
    {
        if (!EqualityComparer<T>.Default.Equals(expected, actual))
            throw new Exception($"{what ?? "value"}: expected '{expected}', got '{actual}'");
    }

    public static void True(bool condition, string what)
    {
        if (!condition)
            throw new Exception($"expected: {what}");
    }

    public static TException Throws<TException>(Action action) where TException : Exception
    {
        try
        {
            action();
        }
        catch (TException e)
        {
            return e;
        }
        throw new Exception($"expected {typeof(TException).Name}");
    }
}
