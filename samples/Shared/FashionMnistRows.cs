using Microsoft.ML;

namespace MLNetCnn.Samples;

/// <summary>Fashion-MNIST (read by the library's <see cref="FashionMnist"/>) as the samples use it: rows of float pixels, and the recipes' columns.</summary>
internal static class FashionMnistRows
{
    /// <summary>One image: its class name and 28x28 grey pixels (0-255) as a float vector.</summary>
    public sealed class Row
    {
        public string Label { get; set; } = "";

        [Microsoft.ML.Data.VectorType(28 * 28)]
        public float[] Pixels { get; set; } = [];
    }

    /// <summary>A named recipe (<see cref="CnnRecipes"/>) pointed at Fashion-MNIST's rows: grey 28x28 vectors in column <c>Pixels</c>, 0-255.</summary>
    public static CnnTrainerOptions ForPixels(CnnTrainerOptions recipe)
        => recipe with { Columns = recipe.Columns with { Image = "Pixels" }, Input = recipe.Input with { VectorShape = (1, 28, 28) } };

    /// <summary>The training or test set as rows for <c>mlContext.Data.LoadFromEnumerable</c>.</summary>
    /// <param name="folder">Where the IDX files are.</param>
    /// <param name="train">The 60,000 training images, else the 10,000 test images.</param>
    /// <param name="limit">Read only the first this many (the sets are shuffled, so a prefix keeps the classes balanced).</param>
    public static List<Row> LoadRows(string folder, bool train, int? limit = null)
    {
        var set = FashionMnist.Read(folder, train, limit);
        return Enumerable.Range(0, set.Count).Select(i => new Row
        {
            Label = set.Label(i),
            Pixels = set.Image(i).ToArray().Select(b => (float)b).ToArray(),
        }).ToList();
    }

    /// <summary>The first <paramref name="trainCount"/> training and <paramref name="testCount"/> test images as data views with a key label.</summary>
    public static (IDataView Train, IDataView Test) LoadKeyed(MLContext ml, string folder, int? trainCount = null, int? testCount = null)
    {
        var raw = ml.Data.LoadFromEnumerable(LoadRows(folder, train: true, trainCount));
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw);
        return (keys.Transform(raw), keys.Transform(ml.Data.LoadFromEnumerable(LoadRows(folder, train: false, testCount))));
    }
}
