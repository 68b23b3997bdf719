// What the corruption and crash-safety tests run in a child process, so that a native crash or a SIGKILL ends the child,
// not the test run. Exit codes: 0 done (or loaded), 3 refused with an error naming the file, 4 refused without naming it.
//   train FOLDER EPOCHS [resume]   trains resnet20 on generated shapes with a checkpoint per epoch in FOLDER, printing each
//                                  epoch, then saves the final weights there; resume continues from the checkpoint if there is one
//   load KIND PATH                 loads PATH as weights (resnet20), classifier or checkpoint
using Microsoft.ML;
using MLNetCnn;
using MLNetCnn.TestChild;
using MLNetCnn.Tests.Support;
using MLNetCnn.Zoo;

try
{
    return args[0] switch
    {
        "train" => Train(args[1], int.Parse(args[2]), args.Length > 3 && args[3] == "resume"),
        "load" => Load(args[1], args[2]),
        _ => throw new ArgumentException($"Unknown command '{args[0]}'."),
    };
}
catch (Exception e) when (e is InvalidDataException or ArgumentException or NotSupportedException or FileNotFoundException)
{
    var path = args.Length > 2 ? args[2] : "";
    Console.WriteLine(e.Message);
    return path.Length > 0 && e.Message.Contains(path) ? 3 : 4;
}

static int Train(string folder, int epochs, bool resume)
{
    var ml = new MLContext(seed: 1);
    var data = Recipe.Keyed(ml, 96);
    var checkpoint = Path.Combine(folder, "run.checkpoint");
    var options = Recipe.Options(epochs, checkpoint, resume: resume && File.Exists(checkpoint));
    options = options with { Progress = new Printer() };
    using var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(data);
    model.Model.SaveWeights(Path.Combine(folder, "final.safetensors"));
    return 0;
}

static int Load(string kind, string path)
{
    var ml = new MLContext(seed: 1);
    switch (kind)
    {
        case "weights":
            using (var model = CnnZoo.Create("resnet20", numClasses: 4))
                model.LoadWeights(path);
            break;
        case "classifier":
            using (ml.Cnn().LoadClassifier(path, device: "cpu"))
            {
            }
            break;
        case "checkpoint":
            // Resuming a finished run restores everything and trains no further.
            using (ml.MulticlassClassification.Trainers.Cnn(Recipe.Options(1, checkpoint: null, resume: false, resumeFrom: path)).Fit(Recipe.Keyed(ml, 16)))
            {
            }
            break;
        default:
            throw new ArgumentException($"Unknown kind '{kind}'.");
    }
    Console.WriteLine("loaded");
    return 0;
}

namespace MLNetCnn.TestChild
{
    /// <summary>The run both sides of a test agree on: generated shapes as vectors, resnet20, one thread (bit-identical on the CPU).</summary>
    internal static class Recipe
    {
        public static IDataView Keyed(MLContext ml, int rows)
        {
            var raw = ml.Data.LoadFromEnumerable(Shapes.Generate(rows, seed: 5).Select(e => e.AsVector()).ToList());
            return ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        }

        public static CnnTrainerOptions Options(int epochs, string? checkpoint, bool resume, string? resumeFrom = null) => new()
        {
            Model = new() { Architecture = "resnet20" },
            Columns = new() { Image = "Pixels" },
            Input = new() { VectorShape = (3, Shapes.Size, Shapes.Size), Mean = [0.5f, 0.5f, 0.5f], Std = [0.25f, 0.25f, 0.25f] },
            Optimizer = new() { Kind = CnnOptimizer.Sgd, LearningRate = 0.05 },
            Schedule = new() { Epochs = epochs, BatchSize = 32 },
            Runtime = new() { Seed = 7, Threads = 1 },
            Checkpoint = new() { Path = checkpoint, ResumeFrom = resumeFrom ?? (resume ? checkpoint : null) },
        };
    }

    /// <summary>Prints each finished epoch at once, so the parent knows how far the run got.</summary>
    internal sealed class Printer : IProgress<CnnTrainingProgress>
    {
        public void Report(CnnTrainingProgress value)
        {
            if (value.IsEpochEnd)
                Console.WriteLine($"epoch {value.Epoch}");
        }
    }
}
