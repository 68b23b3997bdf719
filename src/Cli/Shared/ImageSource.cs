using System.CommandLine;
using System.CommandLine.Parsing;
using Microsoft.ML;

namespace MLNetCnn.Cli;

/// <summary>
/// Where a command's images come from: <c>--images ROOT</c> (one sub-folder per class) or <c>--fashion-mnist</c> (Debian's
/// dataset-fashion-mnist, written once as PNG files into the cache folder so that every command reads image files alike).
/// </summary>
internal sealed class ImageSource
{
    public Option<string?> Images { get; } = new("--images", "-i") { Description = "Root folder with one sub-folder of images per class (root/cat/1.jpg, root/dog/2.png)." };

    public Option<bool> FashionMnist { get; } = new("--fashion-mnist") { Description = "Use Fashion-MNIST (Debian's dataset-fashion-mnist) instead of --images." };

    public Option<int?> Limit { get; } = new("--limit") { Description = "With --fashion-mnist: only the first N images of each set." };

    /// <summary>Adds the options to <paramref name="command"/>, and the rule that exactly one source is given.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Images);
        command.Options.Add(FashionMnist);
        command.Options.Add(Limit);
        CliOptions.RequirePositive(Limit);
        command.Validators.Add(result =>
        {
            var images = result.GetValue(Images) is not null;
            var fashion = result.GetValue(FashionMnist);
            if (images == fashion)
                result.AddError(images ? "Give --images or --fashion-mnist, not both." : "Give the images: --images ROOT (one sub-folder per class) or --fashion-mnist.");
            if (result.GetValue(Limit) is not null && !fashion)
                result.AddError("--limit applies to --fashion-mnist only.");
        });
    }

    /// <summary>True when the images are Fashion-MNIST's.</summary>
    public bool IsFashionMnist(ParseResult parse) => parse.GetValue(FashionMnist);

    /// <summary>The root folder of the images: --images, or Fashion-MNIST's training or test set as PNG files in the cache.</summary>
    /// <exception cref="CliUserException">The --images folder does not exist.</exception>
    public string Root(ParseResult parse, bool trainingSet)
    {
        if (parse.GetValue(Images) is string images)
        {
            if (!Directory.Exists(images))
                throw new CliUserException($"--images: folder '{images}' does not exist.");
            return Path.GetFullPath(images);
        }
        var limit = parse.GetValue(Limit);
        var name = (trainingSet ? "train" : "test") + (limit is int n ? $"-first-{n}" : "");
        var root = Path.Combine(Zoo.CnnZoo.CacheFolder, "fashion-mnist", name);
        if (!Directory.Exists(root))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(root)!);
            try
            {
                MLNetCnn.FashionMnist.WriteImageFolder(MLNetCnn.FashionMnist.Read(MLNetCnn.FashionMnist.DefaultFolder, trainingSet, limit), root);
            }
            catch (IOException) when (Directory.Exists(root))
            {
                // Another process wrote the same set first; its copy is whole (written beside, then renamed).
            }
        }
        return root;
    }

    /// <summary>The images under <see cref="Root"/> as rows (ImagePath, Label).</summary>
    public IDataView Load(MLContext ml, ParseResult parse, bool trainingSet) => ImageFolder.Load(ml, Root(parse, trainingSet));
}
