using Microsoft.ML.Tokenizers;

namespace Godex.Core.Tokens;

/// <summary>
/// Counts tokens with <c>o200k_base</c>, the BPE encoding of the GPT-4o, GPT-5 and Codex models (Microsoft.ML.Tokenizers
/// and its data package, compiled into the binary). The vocabulary (~200k ranks, ~10 MB in memory) is loaded on first
/// use, not at startup, so a proxy that never counts never pays for it.
/// </summary>
internal static class O200kTokenCounter
{
    private static readonly Lazy<Tokenizer> Encoding = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));

    /// <summary>The number of o200k tokens in <paramref name="text"/> (no special tokens).</summary>
    public static int Count(string? text) => string.IsNullOrEmpty(text) ? 0 : Encoding.Value.CountTokens(text, considerPreTokenization: true, considerNormalization: false);
}
