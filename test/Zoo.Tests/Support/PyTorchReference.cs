using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace MLNetCnn.Zoo.Tests.Support;

/// <summary>
/// The independent truth for weight compatibility: files written by PyTorch/torchvision
/// (Reference/make_reference.py, run once per test run with Debian 13's python3-torch).
/// </summary>
public static class PyTorchReference
{
    private const string Python = "/usr/bin/python3.13";
    private static readonly Lazy<string> Folder = new(Generate, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The folder holding the reference files.</summary>
    public static string Directory => Folder.Value;

    /// <summary>Path of a reference file.</summary>
    public static string File(string name) => Path.Combine(Directory, name);

    /// <summary>torchvision's state_dict keys (with shapes) and parameter count for a model name.</summary>
    public static (Dictionary<string, long[]> Keys, long Parameters) Manifest(string name)
    {
        using var json = JsonDocument.Parse(System.IO.File.ReadAllText(File("manifest.json")));
        var entry = json.RootElement.GetProperty(name);
        var keys = entry.GetProperty("keys").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(d => d.GetInt64()).ToArray());
        return (keys, entry.GetProperty("parameters").GetInt64());
    }

    /// <summary>The input batch and torchvision's eval-mode logits for it.</summary>
    public static (Tensor Input, Tensor Logits) InputsAndLogits(string name)
    {
        var tensors = Safetensors.LoadStateDict(File($"{name}.io.safetensors"));
        return (tensors["input"], tensors["logits"]);
    }

    /// <summary>Runs one of the Reference/*.py scripts with PyTorch; throws with its error output when it fails.</summary>
    public static void RunScript(string scriptName, params string[] arguments)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Reference", scriptName);
        if (!System.IO.File.Exists(Python))
            throw new InvalidOperationException(
                $"The PyTorch reference needs {Python} with torch, torchvision and safetensors: run 'eng/setup.sh --pytorch' as root first.");
        var start = new ProcessStartInfo(Python, [script, .. arguments]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{script} failed with exit code {process.ExitCode}: {errors.Result}");
    }

    private static string Generate()
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Reference", "make_reference.py");
        var hash = Convert.ToHexString(SHA256.HashData(System.IO.File.ReadAllBytes(script)))[..12];
        var folder = Path.Combine(Path.GetTempPath(), $"mlnetcnn-reference-{hash}");
        if (System.IO.File.Exists(Path.Combine(folder, "complete")))
            return folder;
        RunScript("make_reference.py", folder);
        System.IO.File.WriteAllText(Path.Combine(folder, "complete"), hash);
        return folder;
    }
}
