using FluentAssertions;
using MLNetCnn.Zoo.Tests.Support;
using static TorchSharp.torch;

namespace MLNetCnn.Zoo.Tests.Weights;

/// <summary>State_dict keys, shapes and outputs against PyTorch's torchvision (the reference files).</summary>
public class TorchvisionCompatibilityTests
{
    public static TheoryData<string> TorchvisionNames => new(CnnZoo.Names.Where(n =>
        n is "alexnet" or "googlenet" or "googlenet_aux" || n.StartsWith("vgg") || n is "resnet18" or "resnet34" or "resnet50" or "resnet101" or "resnet152"));

    [Theory]
    [MemberData(nameof(TorchvisionNames))]
    public void StateDict_KeysAndShapes_EqualTorchvision(string name)
    {
        var (keys, parameters) = PyTorchReference.Manifest(name);
        using var model = CnnZoo.Create(name);

        var ours = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);

        ours.Keys.Should().BeEquivalentTo(keys.Keys);
        foreach (var (key, shape) in keys)
            ours[key].Should().Equal(shape, $"{key} has torchvision's shape");
        model.parameters().Sum(p => p.numel()).Should().Be(parameters);
    }

    [Theory]
    [InlineData("alexnet", ".pt")]
    [InlineData("resnet18", ".pt")]
    [InlineData("resnet50", ".pth")]
    [InlineData("googlenet_aux", ".pt")]
    [InlineData("vgg11_bn", ".pt")]
    [InlineData("alexnet", ".safetensors")]
    [InlineData("resnet18", ".safetensors")]
    [InlineData("googlenet_aux", ".safetensors")]
    public void LoadWeights_TorchvisionStateDict_GivesPyTorchsLogits(string name, string extension)
    {
        var file = PyTorchReference.File(name + (extension == ".safetensors" ? ".safetensors" : ".pt"));
        using var copy = new TempFile(".pth");   // the same file under the other PyTorch extension
        if (extension == ".pth")
        {
            File.Copy(file, copy.Path);
            file = copy.Path;
        }
        using var model = CnnZoo.Create(name);
        model.LoadWeights(file);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (input, logits) = PyTorchReference.InputsAndLogits(name);

        TorchAssert.RelativeDifference(model.call(input), logits).Should().BeLessThan(1e-4);
    }

    [Fact]
    public void LoadWeights_SkipClassifier_FineTunesToOtherClassCount()
    {
        using var model = CnnZoo.Create("resnet18", numClasses: 4);
        var fcBefore = model.state_dict()["fc.weight"].clone();

        model.LoadWeights(PyTorchReference.File("resnet18.pt"), strict: true, skip: model.ClassifierKeyPrefixes.ToList());

        using var reference = CnnZoo.Create("resnet18");
        reference.LoadWeights(PyTorchReference.File("resnet18.pt"));
        model.eval();
        reference.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (input, _) = PyTorchReference.InputsAndLogits("resnet18");
        TorchAssert.Close(model.ForwardFeatures(input), reference.ForwardFeatures(input), 1e-6);
        model.state_dict()["fc.weight"].eq(fcBefore).all().item<bool>().Should().BeTrue("the skipped head keeps its own weights");
    }

    [Fact]
    public void SaveWeights_Pt_LoadsInTorchvisionAndGivesTheSameLogits()
    {
        using var weights = new TempFile(".pt");
        using var output = new TempFile(".safetensors");
        using var model = CnnZoo.Create("resnet18", numClasses: 7);
        model.eval();
        model.SaveWeights(weights.Path);

        PyTorchReference.RunScript("score_in_pytorch.py", "resnet18", weights.Path, PyTorchReference.File("resnet18.io.safetensors"), output.Path, "7");

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (input, _) = PyTorchReference.InputsAndLogits("resnet18");
        var pytorchLogits = TorchSharp.PyBridge.Safetensors.LoadStateDict(output.Path)["logits"];
        TorchAssert.RelativeDifference(model.call(input), pytorchLogits).Should().BeLessThan(1e-4);
    }
}
