using Microsoft.ML;

namespace MLNetCnn.Cli;

/// <summary>Labelled image rows prepared for a trained classifier: labels mapped to its keys, in its class order.</summary>
internal static class LabelledImages
{
    /// <summary>
    /// <paramref name="rows"/> (ImagePath, Label) with Label as the classifier's key and an Image column loaded; classes the
    /// model does not know are refused, naming them.
    /// </summary>
    /// <exception cref="CliUserException">A class of the images is not one of the model's.</exception>
    public static IDataView Prepare(MLContext ml, IReadOnlyList<ImageFolderRow> rows, CnnClassifierTransformer classifier, string root)
    {
        var view = ml.Data.LoadFromEnumerable(rows);
        ITransformer keys;
        try
        {
            keys = classifier.LabelKeys(ml, view);
        }
        catch (ArgumentException e)
        {
            throw new CliUserException($"--images: '{root}': {e.Message.Split(" (Parameter")[0]}");
        }
        return ml.Transforms.LoadImages(classifier.ImageColumnName, imageFolder: null, nameof(ImageFolderRow.ImagePath)).Fit(view)
            .Transform(keys.Transform(view));
    }

    /// <summary>
    /// Keeps the rows whose image decodes; with <paramref name="skip"/> false the first that does not stops the command,
    /// naming its file. Reports how many were skipped.
    /// </summary>
    public static List<ImageFolderRow> Readable(IReadOnlyList<ImageFolderRow> rows, bool skip, CliConsole console)
    {
        if (!skip)
            return rows.ToList();
        var readable = rows.Where(row =>
        {
            try
            {
                using var image = Microsoft.ML.Data.MLImage.CreateFromFile(row.ImagePath);
                return image.Width > 0 && image.Height > 0;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
            {
                return false;
            }
        }).ToList();
        if (readable.Count < rows.Count)
            console.Error.WriteLine($"warning: skipped {rows.Count - readable.Count} unreadable image(s) of {rows.Count}.");
        if (readable.Count == 0)
            throw new CliUserException("None of the images could be read.");
        return readable;
    }
}
