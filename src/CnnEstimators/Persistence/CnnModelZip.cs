using System.Buffers.Binary;
using System.IO.Compression;
using MLNetCnn.Zoo;

namespace MLNetCnn;

/// <summary>
/// Checks an ML.NET model zip (what <c>mlContext.Model.Save</c> writes) before <c>mlContext.Model.Load</c> trusts it. ML.NET
/// hands each ONNX graph inside to ONNX Runtime from a temporary folder, and ONNX Runtime reads a tensor's external data
/// relative to it: a graph of a few hundred bytes can make the process read any file it can open, or gigabytes. The graphs
/// MLNetCnn saves never have external data.
/// </summary>
public static class CnnModelZip
{
    // ML.NET's OnnxTransformer stores its graph in an entry of this name: a 32-bit length, then the graph's bytes.
    private const string GraphEntry = "OnnxModel";

    /// <summary>
    /// Refuses the model zip at <paramref name="path"/> if it could be read two ways (see the README's "Loading files") or if any
    /// ONNX graph in it refers to external data. It does not make a model from an untrusted source safe to use: the pipeline
    /// it holds is still someone else's.
    /// </summary>
    /// <param name="path">The model zip.</param>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is no zip, could be read two ways, or holds a graph with external data or one that does not parse; the message names the file and the entry.</exception>
    public static void CheckGraphs(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Model zip '{path}' does not exist.", path);
        var records = ZipLayout.Read(path, "an ML.NET model zip");
        using var zip = ZipFile.OpenRead(path);
        foreach (var entry in zip.Entries.Where(e => e.Name == GraphEntry))
        {
            var where = $"'{path}' (entry '{entry.FullName}')";
            var bytes = ZipIntegrity.ReadVerified(entry, path, Math.Min(records[entry.FullName].Bytes, int.MaxValue));   // protobuf ends at 2 GiB
            if (bytes.Length < 4 || BinaryPrimitives.ReadInt32LittleEndian(bytes) != bytes.Length - 4)
                throw new InvalidDataException($"{where} is not an ONNX graph as ML.NET stores one (a 32-bit length, then the graph).");
            Onnx.ModelProto graph;
            try
            {
                graph = Onnx.ModelProto.Parser.ParseFrom(bytes.AsSpan(4));
            }
            catch (Google.Protobuf.InvalidProtocolBufferException e)
            {
                throw new InvalidDataException($"{where} is not an ONNX graph ({e.Message}).", e);
            }
            OnnxExternalData.Refuse(graph, where);
        }
    }
}
