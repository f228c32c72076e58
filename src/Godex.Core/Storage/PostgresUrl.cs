using System.Globalization;
using Npgsql;

namespace Godex.Core.Storage;

/// <summary>
/// <c>postgres://user:password@host:port/database?sslmode=require&amp;pool_max=20</c> (or <c>postgresql://</c>) as an
/// Npgsql connection string. The password may also come from <c>PGPASSWORD</c> or <c>~/.pgpass</c> (Npgsql reads
/// both), so it need not sit in a config file. <see cref="Describe"/> names the database without the password: every
/// message and log line uses it.
/// </summary>
public static class PostgresUrl
{
    /// <summary>Whether <paramref name="database"/> is a PostgreSQL URL rather than a SQLite path.</summary>
    public static bool IsPostgres(string? database) =>
        database is not null
        && (database.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || database.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase));

    /// <summary>Parses the URL; a malformed one throws <see cref="StorageException"/> (without echoing the password).</summary>
    public static NpgsqlConnectionStringBuilder Parse(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!IsPostgres(url) || !Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new StorageException("proxy.database: expected postgres://user[:password]@host[:port]/database, got a malformed URL");
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host.Trim('[', ']'),
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')) is { Length: > 0 } database ? database : "godex",
            ApplicationName = "godex",
            // Pool: Npgsql's own (per data source). 20 connections serve far more requests than that: the hot path
            // holds one only for a usage batch, a lease of rate tokens or an L402 charge.
            MaxPoolSize = 20,
            Timeout = 5,
            CommandTimeout = 15,
        };
        string userInfo = uri.UserInfo;
        if (userInfo.Length > 0)
        {
            int colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(colon < 0 ? userInfo : userInfo[..colon]);
            if (colon >= 0)
            {
                builder.Password = Uri.UnescapeDataString(userInfo[(colon + 1)..]);
            }
        }

        foreach (string pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            string name = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]).ToLowerInvariant();
            string value = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..]);
            switch (name)
            {
                case "sslmode":
                    builder.SslMode = Enum.TryParse(value.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out SslMode mode)
                        ? mode
                        : throw new StorageException($"proxy.database: unknown sslmode '{value}' (disable, prefer, require, verify-ca, verify-full)");
                    break;
                case "pool_max":
                    builder.MaxPoolSize = PositiveInt(name, value);
                    break;
                case "pool_min":
                    builder.MinPoolSize = PositiveInt(name, value);
                    break;
                case "connect_timeout":
                    builder.Timeout = PositiveInt(name, value);
                    break;
                case "application_name":
                    builder.ApplicationName = value;
                    break;
                default:
                    throw new StorageException($"proxy.database: unknown URL parameter '{name}' (sslmode, pool_max, pool_min, connect_timeout, application_name)");
            }
        }

        return builder;
    }

    /// <summary><c>postgres://user@host:port/database</c>: the database named for messages, never with its password.</summary>
    public static string Describe(NpgsqlConnectionStringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        string user = string.IsNullOrEmpty(builder.Username) ? "" : Uri.EscapeDataString(builder.Username) + "@";
        string host = builder.Host is { } h && h.Contains(':', StringComparison.Ordinal) ? $"[{h}]" : builder.Host ?? "";
        return string.Create(CultureInfo.InvariantCulture, $"postgres://{user}{host}:{builder.Port}/{builder.Database}");
    }

    /// <summary>The URL with its password removed (for <c>godex proxy db</c> output and logs).</summary>
    public static string Redact(string url)
    {
        try
        {
            return Describe(Parse(url));
        }
        catch (StorageException)
        {
            return "postgres://(malformed)";
        }
    }

    private static int PositiveInt(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int number) && number > 0
            ? number
            : throw new StorageException($"proxy.database: {name} must be a positive whole number");
}
