using System.CommandLine;
using Microsoft.ML;
using MLNetCnn.Zoo;

namespace MLNetCnn.Cli.Export;

/// <summary><c>mlnetcnn export</c>: a trained model's network as an ONNX file, with or without its preprocessing and softmax.</summary>
internal static class ExportCommand
{
    public static Command Create(CliConsole console)
    {
        var model = CliOptions.Model();
        var output = new Option<string>("--out", "-o") { Description = "The ONNX file to write.", Required = true };
        var force = CliOptions.Force();
        var noPreprocessing = new Option<bool>("--no-preprocessing")
        {
            Description = "Leave the pixel normalisation out: the graph takes normalised input instead of 0-255 pixel values.",
        };
        var noSoftmax = new Option<bool>("--no-softmax") { Description = "Output logits instead of probabilities." };
        var command = new Command("export", "Export a trained model's network to ONNX (input N x C x H x W floats, output N x classes).");
        foreach (var option in new Option[] { model, output, force, noPreprocessing, noSoftmax })
            command.Options.Add(option);
        command.SetAction(parse =>
        {
            var path = AtomicFileWriter.Check(parse.GetValue(output)!, parse.GetValue(force), "--out");
            using var classifier = ModelFolder.LoadClassifier(new MLContext(seed: 1), parse.GetValue(model)!, "cpu");
            var p = classifier.Preprocessing;
            if (!classifier.Model.CanExportOnnx)
                throw new CliUserException($"--model: the {classifier.Model.Architecture} network has no ONNX export.");
            var withPreprocessing = !parse.GetValue(noPreprocessing);
            var bytes = classifier.Model.ToOnnx(p.Channels, p.Height, p.Width, new OnnxExportOptions
            {
                Softmax = !parse.GetValue(noSoftmax),
                Normalization = withPreprocessing ? p.Normalization : null,
            });
            AtomicFileWriter.Write(path, stream => stream.Write(bytes));
            console.Out.WriteLine($"wrote {path}: input 'input' N x {p.Channels} x {p.Height} x {p.Width} floats " +
                                  (withPreprocessing ? "(pixel values 0-255, channels RGB or grey)" : "(already normalised)") +
                                  $", output 'output' N x {classifier.LabelValues.Count} " + (parse.GetValue(noSoftmax) ? "logits" : "probabilities") +
                                  $" for {string.Join(", ", classifier.LabelValues)}");
            return ExitCode.Success;
        });
        return command;
    }
}
