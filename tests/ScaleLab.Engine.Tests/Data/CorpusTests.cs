using System.Text;
using ScaleLab.Engine.Data;

namespace ScaleLab.Engine.Tests.Data;

public sealed class CorpusTests
{
    [Fact]
    public void ByteTokenizer_Utf8Text_RoundTrips_InvalidBytesBecomeReplacement()
    {
        // Given
        const string text = "héllo, wörld → ∑";

        // When
        var tokens = ByteTokenizer.Encode(text);
        var invalid = ByteTokenizer.Decode([0x61, 0xFF, 0x62]);

        // Then
        Assert.Equal(Encoding.UTF8.GetByteCount(text), tokens.Length);
        Assert.Equal(text, ByteTokenizer.Decode(tokens));
        Assert.Equal("a\uFFFDb", invalid);
        Assert.Throws<ArgumentOutOfRangeException>(() => ByteTokenizer.Decode([256]));
    }

    [Fact]
    public void TextCorpus_Windows_ComeFromTheirOwnPartAndAreShiftedByOne()
    {
        // Given bytes 0..199 repeating: byte value = position mod 200, so a window's offset is readable
        var bytes = Enumerable.Range(0, 1000).Select(i => (byte)(i % 200)).ToArray();
        var corpus = TextCorpus.FromBytes("ramp", bytes);
        const int b = 8, t = 16;
        var inputs = new int[b * t];
        var targets = new int[b * t];

        // When
        corpus.SampleTrain(new Rng(1), inputs, targets, b, t);

        // Then: 900 training bytes, 100 validation bytes, targets = inputs shifted by one
        Assert.Equal(900, corpus.TrainLength);
        Assert.Equal(100, corpus.ValidationLength);
        for (var i = 0; i < b * t; i++)
        {
            Assert.Equal((inputs[i] + 1) % 200, targets[i]);
        }

        // And validation windows lie in the last 100 bytes (values 100..199) and repeat exactly
        var v1 = new int[b * t];
        var v2 = new int[b * t];
        corpus.GetValidation(3, v1, targets, b, t);
        corpus.GetValidation(3, v2, targets, b, t);
        Assert.All(v1, x => Assert.InRange(x, 100, 199));
        Assert.Equal(v1, v2);

        // And window 4 read alone is row 1 of the batch that starts at window 3
        var single = new int[t];
        corpus.GetValidation(4, single, targets, 1, t);
        Assert.Equal(v1.AsSpan(t, t).ToArray(), single);
    }

    [Fact]
    public void TextCorpus_MissingEmptyOrShortFile_IsOneClearLine()
    {
        // Given
        var dir = Directory.CreateTempSubdirectory("scalelab-corpus-");
        var empty = Path.Combine(dir.FullName, "empty.txt");
        var small = Path.Combine(dir.FullName, "small.txt");
        File.WriteAllBytes(empty, []);
        File.WriteAllBytes(small, new byte[300]);

        // When
        var missing = Assert.Throws<FileNotFoundException>(() => TextCorpus.Load(Path.Combine(dir.FullName, "nope.txt")));
        var emptyError = Assert.Throws<InvalidDataException>(() => TextCorpus.Load(empty));
        var shortError = Assert.Throws<InvalidDataException>(() => TextCorpus.Load(small).CheckSequenceLength(64));

        // Then
        foreach (var message in new[] { missing.Message, emptyError.Message, shortError.Message })
        {
            Assert.DoesNotContain('\n', message);
        }
        Assert.Contains("nope.txt", missing.Message);
        Assert.Contains("empty", emptyError.Message);
        Assert.Contains("seq len 64", shortError.Message);
        TextCorpus.Load(small).CheckSequenceLength(20);
        dir.Delete(true);
    }

    [Fact]
    public void SyntheticCorpus_Validation_IsFixedAndDiffersFromTraining()
    {
        // Given
        var corpus = SyntheticCorpus.Default;
        const int b = 4, t = 32;
        var (v1, v2, tr, targets) = (new int[b * t], new int[b * t], new int[b * t], new int[b * t]);

        // When
        corpus.GetValidation(0, v1, targets, b, t);
        corpus.GetValidation(0, v2, targets, b, t);
        corpus.SampleTrain(new Rng(corpus.Source.Options.Seed), tr, targets, b, t);

        // Then
        Assert.Equal(v1, v2);
        Assert.NotEqual(v1, tr);
        Assert.Equal(corpus.Source.WindowLossFloor(t), corpus.LossFloor(t));
        Assert.StartsWith("synthetic:v1:A=16:K=4", corpus.Fingerprint);
    }

    [Fact]
    public void BatchSampler_RestoredPosition_ContinuesTheSameBatches()
    {
        // Given a sampler that has drawn 5 batches, and its position
        var a = new BatchSampler(SyntheticCorpus.Default, 2, 16, seed: 9);
        var (x, y) = (new int[32], new int[32]);
        for (var i = 0; i < 5; i++) a.Next(x, y);
        var position = a.Position;

        // When a fresh sampler restores that position
        var b = new BatchSampler(SyntheticCorpus.Default, 2, 16, seed: 12345);
        b.Restore(position);

        // Then both produce the same next batches
        var (x2, y2) = (new int[32], new int[32]);
        for (var i = 0; i < 3; i++)
        {
            a.Next(x, y);
            b.Next(x2, y2);
            Assert.Equal(x, x2);
            Assert.Equal(y, y2);
        }
        Assert.Equal(8, b.Batches);
    }
}
