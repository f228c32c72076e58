using System.Buffers;
using System.Text;
using System.Text.Json;
using Godex.Core.Json;

namespace Godex.Core.Tests.Json;

/// <summary>
/// A large request body leaves no array of its size in the shared pool (issue 14: after 200 requests of 19 MB the pool
/// held nine 32 MiB token tables of JsonDocument, 288 MB that no collection could free).
/// </summary>
public sealed class JsonFieldsPoolTests
{
    private const int BodyBytes = 6 * 1024 * 1024;

    /// <summary>JsonDocument's token table for a payload over 4 MiB: the payload's length plus one 12-byte row.</summary>
    private const int TableBytes = BodyBytes + 12;

    [Fact]
    public void JsonDocument_GivesItsTableToTheSharedPool()
    {
        // The control: without the eviction the pool hands the table out again, so the other test measures something.
        Drain(TableBytes);
        using (JsonDocument.Parse(Body()))
        {
        }

        Assert.True(RentAllocates(TableBytes) < TableBytes, "the pool had no table: JsonDocument no longer rents it there");
    }

    [Fact]
    public void TryParse_TakesTheTableBackOutOfThePool()
    {
        Drain(TableBytes);
        Assert.True(JsonFields.TryParse(Body(), default, 0, static (root, _) => root.GetProperty("text").GetString() ?? "", out string? text, out _));
        Assert.StartsWith("lorem", text, StringComparison.Ordinal);

        Assert.True(RentAllocates(TableBytes) >= TableBytes, "the shared pool kept the token table of a 6 MB body");
    }

    private static byte[] Body()
    {
        var json = new StringBuilder(BodyBytes);
        json.Append("{\"text\":\"");
        while (json.Length < BodyBytes - 2)
        {
            json.Append("lorem ipsum ");
        }

        json.Length = BodyBytes - 2;
        json.Append("\"}");
        return Encoding.UTF8.GetBytes(json.ToString());
    }

    /// <summary>Bytes allocated by renting <paramref name="length"/> from the shared pool (the array is dropped, not returned).</summary>
    private static long RentAllocates(int length)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        _ = ArrayPool<byte>.Shared.Rent(length);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    /// <summary>Empties the pool's bucket for <paramref name="length"/> (another test may have left an array there).</summary>
    private static void Drain(int length)
    {
        for (int i = 0; i < 100 && RentAllocates(length) < length; i++)
        {
        }
    }
}
