using System.Diagnostics;
using Microsoft.ML;

namespace MLNetCnn.Bench;

/// <summary>
/// Photo files in class folders as a user's labelled images, and the trainer's own reader over them (which is internal: only the
/// benchmarks the library lets see it, PhotoTraining and StepBreakdown, compile this file).
/// </summary>
internal static class PhotoFolder
{
    /// <summary>The files as ML.NET rows: the folder name as a key label, the image loaded by ML.NET's <c>LoadImages</c>.</summary>
    public static IDataView Load(MLContext ml, string folder, IEnumerable<string> files)
    {
        var listed = ml.Data.LoadFromEnumerable(files.Select(f => new LabelledFile { Label = Path.GetDirectoryName(f)!, ImagePath = f }));
        return ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.LoadImages("Image", folder, "ImagePath")).Fit(listed).Transform(listed);
    }

    /// <summary>Seconds for the trainer's reader over every image (decoding, resizing to <paramref name="size"/>, copying into its cache), as Fit reads before its first step.</summary>
    public static double ReaderSeconds(IDataView images, int size, int classes)
    {
        using var network = Zoo.CnnZoo.Create("resnet18", classes, 3);
        var preprocessing = CnnPreprocessing.ForImages(network, imageSize: size);
        var clock = Stopwatch.StartNew();
        using var cache = Data.InMemoryBatchSource.TryRead(images, images.Schema["Image"], images.Schema["Label"], preprocessing, skipUnreadable: false,
            long.MaxValue, CancellationToken.None);
        return clock.Elapsed.TotalSeconds;
    }

    private sealed class LabelledFile
    {
        public string Label { get; set; } = "";

        public string ImagePath { get; set; } = "";
    }
}
