using System.Runtime.CompilerServices;

// Recursion with a fixed, known frame size: about 1 KiB of stack per level, so
// a depth that fits (or overflows) tells the stack size the thread really has.
static class Recursion
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Recurse(int depth, int target)
    {
        Span<byte> frame = stackalloc byte[1024];
        frame[depth % frame.Length] = (byte)depth;
        if (depth >= target)
            return depth;
        // Using the frame after the call keeps it alive and prevents a tail call.
        return Recurse(depth + 1, target) + (frame[depth % frame.Length] == (byte)depth ? 0 : 1);
    }

    /// <summary>Runs the recursion on a new thread with the runtime's default stack size.</summary>
    public static int OnNewThread(int target)
    {
        var reached = 0;
        var thread = new Thread(() => reached = Recurse(0, target));
        thread.Start();
        thread.Join();
        return reached;
    }
}
