using System.Data.Common;

namespace Godex.Core.Keys;

/// <summary>A <c>keys</c> row as both databases store it (times in Unix milliseconds, models joined by newlines).</summary>
internal static class ClientKeyRow
{
    /// <summary>Reads a row selected with the columns in the stores' order.</summary>
    public static ClientKey Read(DbDataReader reader) => new()
    {
        Id = reader.GetString(0),
        Label = reader.GetString(1),
        Hash = reader.GetString(2),
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
        UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
        RevokedAt = Time(reader, 5),
        ExpiresAt = Time(reader, 6),
        RotatedAt = Time(reader, 7),
        Rate = reader.IsDBNull(8) ? null : reader.GetString(8),
        Burst = reader.IsDBNull(9) ? null : reader.GetInt32(9),
        QuotaTokens = reader.GetInt64(10),
        MaxConcurrent = reader.GetInt32(11),
        Models = reader.GetString(12).Split('\n', StringSplitOptions.RemoveEmptyEntries),
        TokenAllowance = reader.GetInt64(13),
        AllowanceDuration = TimeSpan.FromSeconds(reader.GetInt64(14)),
        AllowanceWindowStart = Time(reader, 15),
        TokenBalance = reader.GetInt64(16),
        UsageResetAt = Time(reader, 17),
    };

    private static DateTimeOffset? Time(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));
}
