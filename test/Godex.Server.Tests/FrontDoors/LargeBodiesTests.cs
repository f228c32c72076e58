using Godex.Server.FrontDoors;

namespace Godex.Server.Tests.FrontDoors;

/// <summary>
/// Large request bodies bound the large-object heap with a full collection once enough of them were read; small bodies
/// never count (the burst's peak RSS itself is measured on the native binary by test/hostile/memory.py burst in test.sh).
/// </summary>
public sealed class LargeBodiesTests
{
    [Fact]
    public void Collects_OnceLargeBodiesAddUpToTheBound_NeverForSmallOnes()
    {
        int collections = 0;
        var bodies = new LargeBodies(() => collections++);

        for (int i = 0; i < 100_000; i++)
        {
            bodies.Seen(LargeBodies.Threshold - 1);
        }

        Assert.Equal(0, collections);

        int perBound = (int)(LargeBodies.CollectAfterBytes / LargeBodies.Threshold);
        for (int i = 0; i < perBound - 1; i++)
        {
            bodies.Seen(LargeBodies.Threshold);
        }

        Assert.Equal(0, collections);
        bodies.Seen(LargeBodies.Threshold);
        Assert.Equal(1, collections);

        bodies.Seen((int)LargeBodies.CollectAfterBytes); // one body past the bound on its own
        Assert.Equal(2, collections);
    }
}
