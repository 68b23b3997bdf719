using MLNetCnn.Zoo;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetCnn.Tests.Support;

/// <summary>A user's own architecture, outside the zoo (so it has no ONNX export).</summary>
public sealed class TinyNet : CnnModel
{
    private readonly Conv2d conv;
    private Linear fc;
    private readonly int filters;

    public TinyNet(string name, int numClasses, int inChannels, int filters = 8) : base(name, numClasses, inChannels)
    {
        this.filters = filters;
        conv = nn.Conv2d(inChannels, filters, 3, stride: 2, padding: 1);
        fc = nn.Linear(filters, numClasses);
        RegisterComponents();
    }

    public override int NumFeatures => filters;
    public override int DefaultImageSize => 32;
    public override int MinImageSize => 4;
    public override IReadOnlyList<string> ClassifierKeyPrefixes => ["fc."];
    protected override Tensor Features(Tensor images) => nn.functional.adaptive_avg_pool2d(nn.functional.relu(conv.call(images)), 1).flatten(1);
    protected override Tensor Head(Tensor features) => fc.call(features);

    protected override void ReplaceClassifier(int numClasses)
    {
        fc = nn.Linear(filters, numClasses);
        ReplaceModule("fc", fc);
    }
}
