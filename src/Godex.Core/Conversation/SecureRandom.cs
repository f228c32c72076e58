using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Godex.Core.Conversation;

/// <summary>
/// Cryptographically secure random bytes. On Linux they come straight from the kernel's generator (<c>getrandom(2)</c>,
/// the source OpenSSL's own generator is seeded from) instead of through <see cref="RandomNumberGenerator"/>, which on
/// Linux loads OpenSSL: ~3.6 MB of RSS and a few ms, for an idle proxy whose only use of it was the first request's id
/// (<see cref="RandomIds"/>) or a new database's key secret. Upstream TLS still loads it when first needed. Elsewhere,
/// or on a C library without <c>getrandom</c>, <see cref="RandomNumberGenerator"/>. It lives beside
/// <see cref="RandomIds"/> because the canonical model references nothing.
/// </summary>
public static partial class SecureRandom
{
    private const int EINTR = 4;

    private static bool s_unavailable = !OperatingSystem.IsLinux();

    /// <summary>Fills <paramref name="buffer"/> with cryptographically secure random bytes.</summary>
    public static void Fill(Span<byte> buffer)
    {
        if (!s_unavailable)
        {
            try
            {
                FillFromKernel(buffer);
                return;
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                s_unavailable = true;
            }
        }

        RandomNumberGenerator.Fill(buffer);
    }

    /// <summary><paramref name="count"/> cryptographically secure random bytes.</summary>
    public static byte[] GetBytes(int count)
    {
        byte[] bytes = new byte[count];
        Fill(bytes);
        return bytes;
    }

    private static void FillFromKernel(Span<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            // Flags 0: blocks only until the kernel's generator is first seeded after boot, never afterwards; more than
            // 256 bytes may come back short when a signal interrupts, so it loops.
            nint read = getrandom(ref MemoryMarshal.GetReference(buffer), (nuint)buffer.Length, 0);
            if (read > 0)
            {
                buffer = buffer[(int)read..];
                continue;
            }

            int error = Marshal.GetLastPInvokeError();
            if (error != EINTR)
            {
                throw new CryptographicException($"getrandom failed (errno {error})");
            }
        }
    }

    // "libc.so.6" is glibc's soname (getrandom since glibc 2.25); on another C library the load fails and
    // RandomNumberGenerator is used instead.
    [LibraryImport("libc.so.6", SetLastError = true)]
    private static partial nint getrandom(ref byte buffer, nuint length, uint flags);
}
