using System.Collections;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace MLNetCnn.Zoo;

/// <summary>Reads and writes model weights in PyTorch's, safetensors' and TorchSharp's formats, chosen by file extension.</summary>
internal static class WeightFile
{
    private enum Format { PyTorch, Safetensors, TorchSharp }

    private static Format FormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".pt" or ".pth" => Format.PyTorch,
        ".safetensors" => Format.Safetensors,
        _ => Format.TorchSharp,
    };

    public static void LoadInto(nn.Module model, string name, string path, bool strict, IReadOnlyCollection<string>? skip)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Weights file '{path}' for {name} does not exist.", path);
        using var scope = NewDisposeScope();
        var source = FormatOf(path) switch
        {
            Format.PyTorch => ReadPyTorch(path, StateBytes(model)),
            Format.Safetensors => ReadSafetensors(path),
            _ => ReadTorchSharp(path),
        };
        // Every check is made against the whole file before the first weight is copied: a refused file leaves the model as it was.
        Apply(model, name, path, source, strict, skip ?? []);
    }

    /// <summary>Loads weights in TorchSharp's format from a stream (a checkpoint's entry) into <paramref name="model"/>, every key required.</summary>
    /// <exception cref="InvalidDataException">The content is malformed, or its keys or shapes do not match the model's.</exception>
    public static void LoadTorchSharpInto(nn.Module model, string modelName, Stream stream, string name)
    {
        using var scope = NewDisposeScope();
        var source = TorchSharpFormat.Read(stream, name);
        try
        {
            Apply(model, modelName, name, source, strict: true, []);
        }
        catch (WeightsMismatchException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
    }

    public static void Save(nn.Module model, string path)
        => AtomicFile.WriteThroughPath(path, temporary =>
        {
            switch (FormatOf(path))
            {
                case Format.PyTorch: model.save_py(temporary); break;
                case Format.Safetensors: model.save_safetensors(temporary); break;
                default: model.save(temporary); break;
            }
        });

    private static Dictionary<string, Tensor> ReadTorchSharp(string path)
    {
        using var stream = File.OpenRead(path);
        return TorchSharpFormat.Read(stream, path);
    }

    private const string PyTorchStateDict = "a PyTorch state_dict saved with torch.save(model.state_dict()) in the zip format";
    private const long MaxPickleBytes = 64L << 20, MaxRecordBytes = 4096;

    // torch.save's zip: one top folder holding data.pkl, data/<n> (one storage each) and a few small records.
    private static readonly string[] PyTorchRecords = ["byteorder", "version", ".format_version", ".storage_alignment", ".data/version", ".data/serialization_id"];

    // The bytes the model's state takes; a file for it needs at most twice that (its tensors could be float64).
    private static long StateBytes(nn.Module model)
        => model.state_dict().Values.Sum(t => t.NumberOfElements * t.ElementSize);

    private static Dictionary<string, Tensor> ReadPyTorch(string path, long modelBytes)
    {
        var top = PyTorchTopFolder(path);
        ZipIntegrity.VerifyAll(path, PyTorchStateDict, name => PyTorchEntryLimit(name, top, 2 * modelBytes), 2 * modelBytes + MaxPickleBytes);
        using (var zip = System.IO.Compression.ZipFile.OpenRead(path))
            PickleAllowList.Check(ZipIntegrity.ReadVerified(zip.GetEntry($"{top}/data.pkl")!, path, MaxPickleBytes), $"'{path}' (entry '{top}/data.pkl')",
                key => zip.GetEntry($"{top}/data/{key}")?.Length);
        Hashtable table;
        try
        {
            // Every global the pickle names is on the allow-list (checked above), so unpickling only rebuilds tensors and dicts.
            table = PyTorchUnpickler.UnpickleStateDict(path);
        }
        // Whatever the unpickler or libtorch underneath it still throws (a C++ exception surfaces as ExternalException), the file is
        // at fault. libtorch's messages carry its C++ stack trace after the first line; the first line says what was wrong.
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InvalidDataException(
                $"'{path}' is not {PyTorchStateDict} ({e.Message.Split('\n')[0].Trim()}). " +
                "Full pickled models and other objects are refused; save only the state_dict.", e);
        }
        var result = new Dictionary<string, Tensor>(table.Count);
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Key is not string key || entry.Value is not Tensor tensor)
                throw new InvalidDataException(
                    $"'{path}' holds more than a state_dict: entry '{entry.Key}' is a {entry.Value?.GetType().Name ?? "null"}, not a tensor. " +
                    "Save only model.state_dict() (for a training checkpoint, save checkpoint['model'] on its own).");
            result[key] = tensor;
        }
        return result;
    }

    // The folder every entry sits in (torch.save names it after the file); a file without data.pkl in one top folder is refused.
    private static string PyTorchTopFolder(string path)
    {
        var records = ZipLayout.Read(path, PyTorchStateDict);
        var tops = records.Keys.Select(n => n.Split('/')[0]).Distinct(StringComparer.Ordinal).ToList();
        if (tops.Count != 1 || !records.ContainsKey($"{tops[0]}/data.pkl"))
            throw ZipLayout.Refused(path, null, $"{PyTorchStateDict} holds one folder with a data.pkl; this one holds " +
                                                $"{string.Join(", ", records.Keys.Take(5).Select(n => $"'{n}'"))}{(records.Count > 5 ? ", ..." : "")}");
        return tops[0];
    }

    private static long? PyTorchEntryLimit(string name, string top, long maxTensorBytes)
    {
        if (!name.StartsWith(top + "/", StringComparison.Ordinal))
            return null;
        var rest = name[(top.Length + 1)..];
        if (rest == "data.pkl")
            return MaxPickleBytes;
        if (PyTorchRecords.Contains(rest))
            return MaxRecordBytes;
        return rest.StartsWith("data/", StringComparison.Ordinal) && rest.Length > 5 && rest[5..].All(char.IsAsciiDigit) ? maxTensorBytes : null;
    }

    private static Dictionary<string, Tensor> ReadSafetensors(string path)
    {
        SafetensorsHeader.Validate(path);
        return Safetensors.LoadStateDict(path);
    }

    private static void Apply(nn.Module model, string name, string path, IReadOnlyDictionary<string, Tensor> source, bool strict, IReadOnlyCollection<string> skip)
    {
        bool Skipped(string key) => skip.Any(prefix => key.StartsWith(prefix, StringComparison.Ordinal));
        var target = model.state_dict();
        var missing = target.Keys.Where(k => !Skipped(k) && !source.ContainsKey(k)).ToList();
        var unexpected = source.Keys.Where(k => !Skipped(k) && !target.ContainsKey(k)).ToList();
        var wrongShape = target
            .Where(kv => !Skipped(kv.Key) && source.TryGetValue(kv.Key, out var s) && !s.shape.SequenceEqual(kv.Value.shape))
            .Select(kv => $"{kv.Key}: [{string.Join(",", source[kv.Key].shape)}] in file vs [{string.Join(",", kv.Value.shape)}] in model")
            .ToList();
        if (wrongShape.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
            throw new WeightsMismatchException(name, path, missing, unexpected, wrongShape);

        using var noGrad = no_grad();
        foreach (var (key, tensor) in target)
        {
            if (!Skipped(key) && source.TryGetValue(key, out var value))
                tensor.copy_(value);
        }
    }
}
