using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.ML;
using MLNetCnn.Persistence;
using MLNetCnn.Scoring;
using MLNetCnn.Tests.Support;
using MLNetCnn.Zoo;
using Xunit.Abstractions;

namespace MLNetCnn.Tests.Robustness;

/// <summary>
/// A seeded fuzz over every file format MLNetCnn reads: weights (PyTorch zip, safetensors, TorchSharp), classifier
/// checkpoints and training checkpoints, each truncated, byte-flipped or structurally edited, and each case loaded in a
/// child process of its own, so a native crash fails the test instead of ending the run. A case passes when the loader
/// refuses the file with an error naming it, or loads it where the damage is one the format cannot see (a flipped bit
/// inside the raw floats of a format without checksums).
/// </summary>
public class CorruptionSuiteTests(ITestOutputHelper output)
{
    private const int Refused = 3;
    private const int Loaded = 0;
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    private sealed record Case(string Kind, string Format, string Mutation, string Path, bool MustRefuse);

    [Fact]
    public void EveryCorruptedFile_IsRefusedNamingIt_OrLoadsWhereTheFormatCannotTell_AndNothingCrashes()
    {
        using var folder = new TempFolder();
        var random = new Random(2026);
        var cases = new List<Case>();
        foreach (var (kind, format, original) in Originals(folder))
        {
            var bytes = File.ReadAllBytes(original);
            var isZip = format is "pt" or "classifier" or "checkpoint";
            for (var i = 0; i < 16; i++)
                cases.Add(Write(folder, kind, format, $"truncated to {Truncation(random, bytes.Length)} bytes", bytes[..Truncation(random, bytes.Length)], mustRefuse: true));
            for (var i = 0; i < 26; i++)
            {
                var flipped = (byte[])bytes.Clone();
                var at = random.Next(flipped.Length);
                flipped[at] ^= (byte)(1 << random.Next(8));
                // Zip containers carry a CRC-32 per entry; the raw formats carry none, so a flip in their floats loads.
                cases.Add(Write(folder, kind, format, $"bit flipped at byte {at}", flipped, mustRefuse: isZip));
            }
            foreach (var (mutation, edited) in StructuralEdits(format, bytes))
                cases.Add(Write(folder, kind, format, mutation, edited, mustRefuse: true));
        }

        var outcomes = cases.AsParallel().WithDegreeOfParallelism(2)
            .Select(c => (Case: c, Result: ChildProcess.Run(Timeout, "load", c.Kind, c.Path))).ToList();

        foreach (var group in outcomes.GroupBy(o => o.Case.Format))
            output.WriteLine($"{group.Key}: {group.Count()} cases, {group.Count(o => o.Result.ExitCode == Refused)} refused naming the file, " +
                             $"{group.Count(o => o.Result.ExitCode == Loaded)} loaded, {group.Count(o => o.Result.ExitCode is not (Refused or Loaded))} other");
        var wrong = outcomes.Where(o => o.Result.ExitCode != Refused && (o.Case.MustRefuse || o.Result.ExitCode != Loaded))
            .Select(o => $"{o.Case.Format} {o.Case.Mutation}: exit {o.Result.ExitCode}: {o.Result.Output.Split('\n')[0]}").ToList();
        wrong.Should().BeEmpty();
        cases.Should().HaveCountGreaterThan(200);
    }

    private static int Truncation(Random random, int length) => random.Next(length);

    private static Case Write(TempFolder folder, string kind, string format, string mutation, byte[] bytes, bool mustRefuse)
    {
        var extension = format switch { "pt" => ".pt", "safetensors" => ".safetensors", "torchsharp" => ".bin", "classifier" => ".mlnetcnn", _ => ".checkpoint" };
        var path = folder.File($"{format}-{Guid.NewGuid():N}{extension}");
        File.WriteAllBytes(path, bytes);
        return new Case(kind, format, mutation, path, mustRefuse);
    }

    // One valid file of each format, made by MLNetCnn itself.
    private static IEnumerable<(string Kind, string Format, string Path)> Originals(TempFolder folder)
    {
        using var model = CnnZoo.Create("resnet20", numClasses: 4);
        foreach (var (format, extension) in new[] { ("pt", ".pt"), ("safetensors", ".safetensors"), ("torchsharp", ".bin") })
        {
            model.SaveWeights(folder.File("original" + extension));
            yield return ("weights", format, folder.File("original" + extension));
        }
        var classifier = new CnnClassifierTransformer(new ClassifierCheckpoint.Contents(CnnZoo.Create("resnet20", numClasses: 4),
            CnnPreprocessing.ForImages(model, 32), "Image", ClassifierOutputs.ForLabelValues("Score", "PredictedLabel", ["a", "b", "c", "d"]), 16, false, []),
            CnnInferenceEngine.TorchSharp);
        classifier.SaveCheckpoint(folder.File("original.mlnetcnn"));
        classifier.Dispose();
        yield return ("classifier", "classifier", folder.File("original.mlnetcnn"));
        ChildProcess.Run(Timeout, "train", folder.Path, "1").ExitCode.Should().Be(0);
        yield return ("checkpoint", "checkpoint", folder.File("run.checkpoint"));
    }

    // Edits a well-formed file the way a buggy writer or a hostile file would: each must be refused.
    private static IEnumerable<(string Mutation, byte[] Bytes)> StructuralEdits(string format, byte[] bytes)
    {
        switch (format)
        {
            case "classifier":
                foreach (var (field, value) in new (string, JsonNode?)[]
                {
                    ("NumClasses", 2147483647), ("NumClasses", 3), ("LabelValues", new JsonArray("a", "b", "c")), ("LabelValues", new JsonArray("a", "a", "b", "c")),
                    ("Channels", 2), ("InChannels", 2), ("Height", -5), ("Width", 1 << 20), ("BatchSize", 0), ("PixelScale", -1),
                    ("Mean", new JsonArray(0.5, 0.5)), ("Std", new JsonArray(1, 0, 1)), ("InputKind", 7), ("ScoreColumnName", ""),
                    ("PredictedLabelColumnName", "Score"), ("Architecture", "resnet20x"), ("Version", 9), ("VectorShape", new JsonArray(3, 32)),
                    ("Height", 100000),
                })
                    yield return ($"classifier.json {field} = {value?.ToJsonString()}", EditZipJson(bytes, "classifier.json", field, value));
                break;
            case "checkpoint":
                foreach (var (field, value) in new (string, JsonNode?)[] { ("NumClasses", 5), ("InChannels", 1), ("Architecture", "nonexistent") })
                    yield return ($"state.json {field} = {value?.ToJsonString()}", EditZipJson(bytes, "state.json", field, value));
                break;
            case "safetensors":
                var (header, data) = SplitSafetensors(bytes);
                var names = header.Where(kv => kv.Key != "__metadata__").Select(kv => kv.Key).ToList();
                var first = header[names[0]]!;
                var second = header[names[1]]!;
                yield return ("two keys on the same bytes", JoinSafetensors(With(header, names[1], second, "data_offsets", first["data_offsets"]!.DeepClone()), data));
                yield return ("a shape claiming 2^62 elements", JoinSafetensors(With(header, names[0], first, "shape", new JsonArray(1L << 31, 1L << 31)), data));
                yield return ("an unknown dtype", JoinSafetensors(With(header, names[0], first, "dtype", "F128"), data));
                yield return ("trailing bytes", [.. bytes, 0, 0, 0, 0]);
                yield return ("header length past the end", [.. BitConverter.GetBytes((ulong)bytes.Length), .. bytes[8..]]);
                yield return ("header not UTF-8", [.. bytes[..8], 0xC3, 0x28, .. bytes[10..]]);
                break;
            case "pt":
                // Pickles edited inside a valid zip (CRCs recomputed), so the unpickler itself meets them.
                yield return ("pickle cut in half", ReplaceZipEntry(bytes, "data.pkl", pickle => pickle[..(pickle.Length / 2)]));
                yield return ("a string claiming 2 GB", ReplaceZipEntry(bytes, "data.pkl", _ => [0x80, 0x02, (byte)'X', 0xF0, 0xFF, 0xFF, 0x7F, (byte)'a', (byte)'.']));
                yield return ("a storage shorter than its tensors", ReplaceZipEntry(bytes, "/data/0", storage => storage[..(storage.Length / 2)]));
                yield return ("a storage of no bytes", ReplaceZipEntry(bytes, "/data/1", _ => []));
                yield return ("pickle of random bytes", ReplaceZipEntry(bytes, "data.pkl", pickle => [.. pickle[..2], .. Enumerable.Range(0, 64).Select(i => (byte)(i * 37))]));
                break;
            case "torchsharp":
                var countLength = Array.FindIndex(bytes, b => (b & 0x80) == 0) + 1;
                yield return ("entry count of 2^40", [.. Leb128(1L << 40), .. bytes[countLength..]]);
                yield return ("trailing bytes", [.. bytes, 1, 2, 3]);
                break;
        }
    }

    private static byte[] EditZipJson(byte[] zipBytes, string entryName, string field, JsonNode? value)
    {
        using var buffer = new MemoryStream();
        buffer.Write(zipBytes);
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Update, leaveOpen: true))
        {
            var entry = zip.GetEntry(entryName)!;
            JsonNode json;
            using (var read = entry.Open())
                json = JsonNode.Parse(read)!;
            json[field] = value;
            entry.Delete();
            using var write = zip.CreateEntry(entryName).Open();
            write.Write(Encoding.UTF8.GetBytes(json.ToJsonString()));
        }
        return buffer.ToArray();
    }

    private static byte[] ReplaceZipEntry(byte[] zipBytes, string nameEnding, Func<byte[], byte[]> edit)
    {
        using var buffer = new MemoryStream();
        buffer.Write(zipBytes);
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Update, leaveOpen: true))
        {
            var entry = zip.Entries.Single(e => e.FullName.EndsWith(nameEnding, StringComparison.Ordinal));
            var name = entry.FullName;
            byte[] content;
            using (var read = entry.Open())
            {
                using var copy = new MemoryStream();
                read.CopyTo(copy);
                content = copy.ToArray();
            }
            entry.Delete();
            using var write = zip.CreateEntry(name).Open();
            write.Write(edit(content));
        }
        return buffer.ToArray();
    }

    private static (JsonObject Header, byte[] Data) SplitSafetensors(byte[] bytes)
    {
        var length = (int)BitConverter.ToUInt64(bytes, 0);
        return (JsonNode.Parse(bytes.AsSpan(8, length))!.AsObject(), bytes[(8 + length)..]);
    }

    private static JsonObject With(JsonObject header, string name, JsonNode tensor, string field, JsonNode value)
    {
        var copy = header.DeepClone().AsObject();
        var edited = tensor.DeepClone();
        edited[field] = value;
        copy[name] = edited;
        return copy;
    }

    private static byte[] JoinSafetensors(JsonObject header, byte[] data)
    {
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        return [.. BitConverter.GetBytes((ulong)json.Length), .. json, .. data];
    }

    private static byte[] Leb128(long value)
    {
        var bytes = new List<byte>();
        do
        {
            var b = (byte)(value & 0x7F);
            value >>= 7;
            bytes.Add(value == 0 ? b : (byte)(b | 0x80));
        }
        while (value != 0);
        return [.. bytes];
    }
}
