using System.IO.Enumeration;
using Microsoft.ML;

namespace MLNetCnn;

/// <summary>One image of a folder-per-class data set.</summary>
public sealed class ImageFolderRow
{
    /// <summary>Absolute path of the image file (give <c>LoadImages</c> an empty image folder, or none).</summary>
    public string ImagePath { get; set; } = "";

    /// <summary>The class: the name of the sub-folder the image is in.</summary>
    public string Label { get; set; } = "";
}

/// <summary>Reads a data set laid out as one sub-folder per class (<c>root/cat/1.jpg</c>, <c>root/dog/2.png</c>, ...).</summary>
public static class ImageFolder
{
    /// <summary>File extensions read as images.</summary>
    public static IReadOnlyCollection<string> ImageExtensions { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp",
    };

    /// <summary>All images under <paramref name="root"/>, labelled by their class folder, in a stable order (class, then file name).</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// The layout is not one sub-folder per class with images in each, or an image's header declares more pixels than
    /// <see cref="CnnImageLimits.MaxPixels"/> (checked before anything decodes it).
    /// </exception>
    public static IReadOnlyList<ImageFolderRow> Read(string root)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"Image folder '{root}' does not exist.");
        var classes = Directory.GetDirectories(root).OrderBy(d => d, StringComparer.Ordinal).ToList();
        var looseImages = Directory.GetFiles(root).Where(IsImage).ToList();
        if (classes.Count == 0)
            throw new InvalidDataException(
                $"'{root}' has no sub-folders{(looseImages.Count > 0 ? $" ({looseImages.Count} images lie directly in it)" : "")}. " +
                "Put each class's images in a sub-folder named after the class: root/cat/1.jpg, root/dog/2.jpg.");
        if (classes.Count < 2)
            throw new InvalidDataException($"'{root}' has one class folder ('{Path.GetFileName(classes[0])}'); a classifier needs at least two.");
        var rows = new List<ImageFolderRow>();
        var empty = new List<string>();
        foreach (var folder in classes)
        {
            var images = Files(folder);
            if (images.Count == 0)
                empty.Add(Path.GetFileName(folder));
            rows.AddRange(images.Select(f => new ImageFolderRow { ImagePath = f, Label = Path.GetFileName(folder) }));
        }
        if (empty.Count > 0)
            throw new InvalidDataException(
                $"Class folder(s) {string.Join(", ", empty.Select(e => $"'{e}'"))} of '{root}' hold no images ({string.Join(", ", ImageExtensions)}). Remove them or add images.");
        return rows;
    }

    /// <summary>
    /// Every image file under <paramref name="folder"/>, in its sub-folders too, as full paths in a stable (ordinal) order, each
    /// checked against <see cref="CnnImageLimits.MaxPixels"/> by its header before anything decodes it. Links to folders below it are
    /// not followed (a link back up the tree would relabel other classes and loop); links to files are read. The one walk over image
    /// folders that training, prediction and featurization share.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">An image's header declares more pixels than the limit, or a file has no bytes (empty, or a
    /// FIFO, socket or device named like an image, refused before it is opened).</exception>
    public static IReadOnlyList<string> Files(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Image folder '{folder}' does not exist.");
        // Links to folders are not followed: one back up the tree (class/loop -> ..) would list the other classes' images under
        // this class, and loop until paths grow too long. Links to files are read.
        var walk = new FileSystemEnumerable<string>(folder, (ref FileSystemEntry entry) => entry.ToFullPath(), new EnumerationOptions
        {
            RecurseSubdirectories = true,
            AttributesToSkip = 0,
        })
        {
            ShouldRecursePredicate = (ref FileSystemEntry entry) => (entry.Attributes & FileAttributes.ReparsePoint) == 0,
            ShouldIncludePredicate = (ref FileSystemEntry entry) => !entry.IsDirectory && IsImage(entry.FileName.ToString()),
        };
        var files = walk.Select(Path.GetFullPath).Order(StringComparer.Ordinal).ToList();
        files.ForEach(CnnImageLimits.CheckFile);
        return files;
    }

    /// <summary>The images of <paramref name="root"/> as an IDataView with columns <c>ImagePath</c> and <c>Label</c>.</summary>
    public static IDataView Load(MLContext context, string root)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Data.LoadFromEnumerable(Read(root));
    }

    private static bool IsImage(string path) => ImageExtensions.Contains(Path.GetExtension(path));
}
