using System.Globalization;
using System.Text;
using Godex.Core.Tokens;
using Microsoft.ML.Tokenizers;

namespace Godex.Core.Tests.Tokens;

/// <summary>
/// godex's own o200k counter against Microsoft.ML.Tokenizers (which counted before, now only here), count for count,
/// over text of every kind. Every piece of the corpus is at most <see cref="O200kTokenCounter.MaxPieceLength"/>
/// characters, where godex counts exactly; longer pieces are chunked on purpose (O200kTokenCounterTests bounds them).
/// </summary>
/// <remarks>
/// The library's <c>CreateForEncoding("o200k_base")</c> knows two special tokens, <c>&lt;|endoftext|&gt;</c> and
/// <c>&lt;|endofprompt|&gt;</c>, and counts each as 1; godex counts them as the plain text OpenAI sees in a message. The
/// corpus never contains them (the random text could not make one), and
/// <see cref="SpecialTokenText_CountsAsPlainText"/> checks the difference on its own.
/// </remarks>
public sealed class O200kLibraryParityTests(ITestOutputHelper output)
{
    private static readonly Tokenizer s_library = TiktokenTokenizer.CreateForEncoding("o200k_base");

    public static TheoryData<string> Samples() => new(
        // English prose, with contractions in every case and a mix of cases.
        "The quick brown fox jumps over the lazy dog. It's the dog's day; they'll say we're fine, I'd think.",
        "IT'S THE DOG'S DAY; THEY'LL SAY WE'RE FINE, I'D THINK. You'Ll, We'Ve, She'S, 'twas, rock'n'roll, o'clock.",
        "Don't stop, can't stop, won't stop: the ’curly’ apostrophe isn’t a contraction for the pattern.",
        "camelCaseIdentifier PascalCaseName HTTPServer XMLHttpRequest iPhone McDonald MiXeD cAsE ALLCAPS lowercase",
        // Code.
        "public static bool TryParse(ReadOnlySpan<byte> json, out Request? request)\r\n{\r\n    request = null;\r\n    return false;\r\n}\r\n",
        "{\"model\":\"gpt-5\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"temperature\":0.7,\"stream\":true}",
        "def count(text: str) -> int:\n    \"\"\"Count tokens.\"\"\"\n    return len(enc.encode(text)) if text else 0\n\n\nprint(count('héllo'))\n",
        "for (int i = 0; i < n; i++) { sum += a[i] * b[i]; } // O(n)\n\t\tx <<= 2; y >>= 3; z ??= w; p?.q!.r;",
        "https://example.com/path/to/resource?query=1&other=two#frag /usr/local/bin/ C:\\Users\\name\\file.txt",
        // CJK, other scripts, emoji and ZWJ sequences, combining marks.
        "こんにちは、世界。今日はいい天気ですね。東京都渋谷区 中文字符测试 한국어 문장입니다",
        "Привет, мир! Γειά σου Κόσμε! مرحبا بالعالم שלום עולם नमस्ते दुनिया สวัสดีชาวโลก",
        "👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 👩🏿‍💻 ❤️‍🔥 🇺🇸🇯🇵 1️⃣ #️⃣ 😀😃😄 🫠🫡",
        "e\u0301 a\u0300\u0323 n\u0303 Z\u0351\u0364\u036B\u0350a\u0310\u0364\u0304l\u034Bg\u0312\u0313o\u0302 \u0915\u093F \u0E01\u0E34\u0E48",
        "Ω Å ﬁ ﬃ Ⅻ ① ² ½ ０１２３ ａｂｃ ＡＢＣ 𝐀𝐁𝐂 𝓗𝓮𝓵𝓵𝓸 ℌ ℕ",
        // Numbers of every length, alone and in text.
        Numbers(),
        "3.14159 2,718 1e-10 0x1F 0b1010 -42 +7 1_000_000 ٠١٢٣٤٥٦٧٨٩ ۱۲۳ १२३ 12:34:56 2026-12-05T15:45:41Z",
        // Whitespace and newline runs.
        "a  b   c    d\t\te\t \tf\n\ng\n\n\nh\r\n\r\ni \n \n j     \n     k\u00A0\u00A0l\u2028m\u3000n  ",
        "\n\n\n\n    \t\t\t\r\n\r\n \n",
        "   leading and trailing   ",
        "punctuation!!! ??? ... --- *** /// \\\\ ||| ~~~ ``` ''' \"\"\" ;;; ::: ,,, <<< >>> === +++ ### @@@ $$$ %%% ^^^ &&&",
        "// comment\n/* block */\n-- sql\n# shell\n<!-- html -->\n{{ template }}\n<div class=\"x\">&amp;</div>",
        "\uFFFD \uFFFD\uFFFD replacement characters, and a BOM \uFEFF and zero widths \u200B\u200C\u200D\u2060");

    [Theory]
    [MemberData(nameof(Samples))]
    public void Sample_CountsAsTheLibrary(string text) => AssertSameCounts([text]);

    [Fact]
    public void RandomUnicode_CountsAsTheLibrary()
    {
        var random = new Random(200_000);
        var texts = new List<string>();
        for (int i = 0; i < 6000; i++)
        {
            texts.Add(RandomText(random, random.Next(1, 25)));
        }

        AssertSameCounts(texts);
    }

    [Fact]
    public void RandomWordsAndSpaces_CountAsTheLibrary()
    {
        // Strings of real-looking words: most pieces are not whole tokens, so the merge itself decides the count.
        var random = new Random(4242);
        string[] syllables = ["re", "fac", "tor", "ing", "un", "der", "stand", "qu", "ix", "zz", "ph", "tion", "ly", "'s", "'LL", "ó", "ñ", "ß", "é", "ü", "中", "文", "ー", "ン"];
        var texts = new List<string>();
        for (int i = 0; i < 3000; i++)
        {
            var text = new StringBuilder();
            int words = random.Next(1, 6);
            for (int w = 0; w < words; w++)
            {
                text.Append(random.Next(4) == 0 ? "\n" : " ");
                int parts = random.Next(1, 5);
                for (int p = 0; p < parts; p++)
                {
                    string syllable = syllables[random.Next(syllables.Length)];
                    text.Append(random.Next(3) == 0 ? syllable.ToUpperInvariant() : syllable);
                }
            }

            texts.Add(text.ToString());
        }

        AssertSameCounts(texts);
    }

    [Theory]
    [InlineData("a\uD800b")]
    [InlineData("\uDC00")]
    [InlineData("x\uD83D")]
    [InlineData("\uDE00\uD83D lone halves, reversed")]
    public void LoneSurrogates_CountAsTheLibrary(string text) => AssertSameCounts([text]);

    [Theory]
    [InlineData("<|endoftext|>", "<|endoftext", "|>")]
    [InlineData("before <|endofprompt|> after", "before <|endofprompt", "|> after")]
    public void SpecialTokenText_CountsAsPlainText(string text, string left, string right)
    {
        // Cut where the pre-tokenizer cuts anyway ("<|" "endoftext" "|>"), the library sees no special token: the
        // halves' counts are the text's as plain text, which is what OpenAI bills for a message that contains it.
        int plain = s_library.CountTokens(left, considerPreTokenization: true, considerNormalization: false)
            + s_library.CountTokens(right, considerPreTokenization: true, considerNormalization: false);

        // A fresh instance: the library counts a special token as 1 only while its LRU cache still holds the entry it
        // put there at creation; after a few thousand other pieces (the tests above) it merges the token's bytes as
        // one piece instead ("before <|endofprompt|> after": 10, plain 9, fresh 4).
        int special = TiktokenTokenizer.CreateForEncoding("o200k_base").CountTokens(text, considerPreTokenization: true, considerNormalization: false);
        output.WriteLine($"plain {plain}, library with special tokens {special}");

        Assert.Equal(plain, O200kTokenCounter.Count(text));
        Assert.True(plain > special);
    }

    private void AssertSameCounts(List<string> texts)
    {
        var mismatches = new List<string>();
        long tokens = 0;
        foreach (string text in texts)
        {
            Assert.All(s_library.PreTokenizer!.PreTokenize(text), piece => Assert.InRange(piece.Length, 1, O200kTokenCounter.MaxPieceLength));
            int expected = s_library.CountTokens(text, considerPreTokenization: true, considerNormalization: false);
            int counted = O200kTokenCounter.Count(text);
            tokens += expected;
            if (counted != expected)
            {
                mismatches.Add($"library {expected}, godex {counted}: \"{Escaped(text)}\"");
            }
        }

        output.WriteLine($"{texts.Count} texts, {tokens} tokens, {mismatches.Count} mismatches");
        Assert.True(mismatches.Count == 0, string.Join('\n', mismatches.Take(20)));
    }

    private static string Numbers()
    {
        var text = new StringBuilder();
        for (int length = 1; length <= 40; length++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{length}: ").Append('9', length).Append(' ').Append("1234567890"[..Math.Min(10, length)]).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Characters drawn from the blocks text is made of, weighted towards the ones the pattern treats differently.</summary>
    private static string RandomText(Random random, int length)
    {
        var text = new StringBuilder();
        while (text.Length < length)
        {
            int codePoint = random.Next(16) switch
            {
                0 or 1 or 2 => random.Next(0x20, 0x7F),                      // ASCII
                3 => " \t\n\r\u00A0\u2028\u3000\u200B\u200D\uFE0F'/"[random.Next(12)], // whitespace, joiners, the pattern's ' and /
                4 => random.Next(0xC0, 0x250),                               // Latin-1 and Latin Extended
                5 => random.Next(0x300, 0x370),                              // combining diacritical marks
                6 => random.Next(0x370, 0x530),                              // Greek, Cyrillic
                7 => random.Next(0x590, 0x700),                              // Hebrew, Arabic
                8 => random.Next(0x900, 0xE80),                              // Indic scripts, Thai, Lao
                9 => random.Next(0x3040, 0x3100),                            // Hiragana, Katakana
                10 => random.Next(0x4E00, 0x9FFF),                           // CJK ideographs
                11 => random.Next(0xAC00, 0xD7A4),                           // Hangul
                12 => random.Next(0x1F300, 0x1FAFF),                         // emoji
                13 => random.Next(0x1D400, 0x1D800),                         // mathematical letters and digits (astral)
                14 => random.Next(0xFF00, 0xFFF0),                           // fullwidth forms
                _ => random.Next(0, 0x10FFFF),                               // anything
            };

            if (codePoint is >= 0xD800 and <= 0xDFFF)
            {
                continue; // surrogates are not characters; lone ones have their own test
            }

            text.Append(char.ConvertFromUtf32(codePoint));
        }

        return text.ToString();
    }

    private static string Escaped(string text)
    {
        var escaped = new StringBuilder();
        foreach (char c in text)
        {
            escaped.Append(c is >= ' ' and < '\u007F' ? c.ToString() : $"\\u{(int)c:X4}");
        }

        return escaped.ToString();
    }
}
