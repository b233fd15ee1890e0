namespace GrpcGreeter.Services;

// How many Slow calls ended by cancellation: a test asks it after a cancel
// to know the server saw the call go away (RequestAborted), not only the client.
public sealed class CancellationCounter
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public void Add() => Interlocked.Increment(ref _count);
}
