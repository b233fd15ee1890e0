using Ancm.Host.Server;
using static Ancm.Host.Server.ResponsePhase;

// The response's phase table, pinned move by move: a change to what the
// server may do with a response has to change this list too.
static class ResponsePhaseTests
{
    private static readonly (ResponsePhase From, ResponsePhase To)[] s_legal =
    [
        (NotStarted, Starting),
        (NotStarted, Started),
        (Starting, NotStarted),
        (Starting, StartFailed),
        (Starting, Started),
        (StartFailed, Started),
        (Started, HeadSent),
        (Started, Completed),
        (Started, CutShort),
        (HeadSent, WriteFailed),
        (HeadSent, Completed),
        (HeadSent, CutShort),
        (WriteFailed, Completed),
        (WriteFailed, CutShort),
    ];

    public static void Register()
    {
        TestRunner.Add("ResponsePhase: exactly the listed moves are legal", () =>
        {
            foreach (var from in Enum.GetValues<ResponsePhase>())
            {
                foreach (var to in Enum.GetValues<ResponsePhase>())
                    Expect.Equal(s_legal.Contains((from, to)), ResponsePhases.IsLegal(from, to), $"{from} -> {to}");
            }
        });
        TestRunner.Add("ResponsePhase: an illegal move throws, naming both phases", () =>
        {
            var e = Expect.Throws<InvalidOperationException>(() => ResponsePhases.ThrowIfIllegal(Starting, HeadSent));
            Expect.True(e.Message.Contains("from Starting to HeadSent"), "the message names the move: " + e.Message);
            ResponsePhases.ThrowIfIllegal(Started, HeadSent);
        });
        TestRunner.Add("ResponsePhase: nothing leaves an ended response, nothing returns to a phase", () =>
        {
            foreach (var to in Enum.GetValues<ResponsePhase>())
            {
                Expect.True(!ResponsePhases.IsLegal(Completed, to), $"Completed -> {to}");
                Expect.True(!ResponsePhases.IsLegal(CutShort, to), $"CutShort -> {to}");
                Expect.True(!ResponsePhases.IsLegal(to, to), $"{to} -> {to}");
            }
        });
        TestRunner.Add("ResponsePhase: HasStarted once the head is committed, HasEnded once completed or cut short", () =>
        {
            var started = new[] { Started, HeadSent, WriteFailed, Completed, CutShort };
            foreach (var phase in Enum.GetValues<ResponsePhase>())
            {
                Expect.Equal(started.Contains(phase), ResponsePhases.HasStarted(phase), $"HasStarted({phase})");
                Expect.Equal(phase is Completed or CutShort, ResponsePhases.HasEnded(phase), $"HasEnded({phase})");
            }
        });
    }
}
