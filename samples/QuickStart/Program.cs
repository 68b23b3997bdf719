// QuickStart: trains a zoo CNN on Fashion-MNIST with plain TorchSharp and reports test accuracy.
// Usage: dotnet run -c Release --project samples/QuickStart [-- --arch resnet20 --epochs 1 --data /usr/share/datasets/fashion-mnist]
using System.Diagnostics;
using MLNetCnn.Samples.QuickStart;
using MLNetCnn.Zoo;
using TorchSharp;
using static TorchSharp.torch;

var arch = Option("--arch", "resnet20");
var epochs = int.Parse(Option("--epochs", "1"));
var folder = Option("--data", FashionMnist.DefaultFolder);
const int batchSize = 128;

torch.manual_seed(1);
var device = cuda.is_available() ? CUDA : CPU;
var (trainImages, trainLabels, trainCount) = FashionMnist.Load(folder, train: true);
var (testImages, testLabels, testCount) = FashionMnist.Load(folder, train: false);
Console.WriteLine($"Fashion-MNIST: {trainCount} training and {testCount} test images; {arch} on {device.type}, {epochs} epoch(s)");

// Whole data set as uint8 tensors; batches are normalised on the fly (mean/std of Fashion-MNIST).
using var xTrain = tensor(trainImages, [trainCount, 1, 28, 28]);
using var yTrain = tensor(trainLabels.Select(b => (long)b).ToArray());
using var xTest = tensor(testImages, [testCount, 1, 28, 28]);
using var yTest = tensor(testLabels.Select(b => (long)b).ToArray());
Tensor Normalise(Tensor bytes) => (bytes.to(device).to_type(ScalarType.Float32) / 255f - 0.286f) / 0.353f;

using var model = CnnZoo.Create(arch, numClasses: 10, inChannels: 1);
model.to(device);
var stepsPerEpoch = (trainCount + batchSize - 1) / batchSize;
using var optimizer = optim.SGD(model.parameters(), learningRate: 0.1, momentum: 0.9, weight_decay: 5e-4, nesterov: true);
var schedule = optim.lr_scheduler.OneCycleLR(optimizer, max_lr: 0.1, total_steps: epochs * stepsPerEpoch);
using var criterion = nn.CrossEntropyLoss();

var clock = Stopwatch.StartNew();
for (var epoch = 1; epoch <= epochs; epoch++)
{
    model.train();
    using var order = randperm(trainCount);
    double lossSum = 0;
    for (var step = 0; step < stepsPerEpoch; step++)
    {
        using var scope = NewDisposeScope();
        var index = order.narrow(0, step * batchSize, Math.Min(batchSize, trainCount - step * batchSize));
        var x = Normalise(xTrain.index_select(0, index));
        var y = yTrain.index_select(0, index).to(device);
        optimizer.zero_grad();
        var (loss, _) = model.TrainingForward(x, y, criterion.call);
        loss.backward();
        optimizer.step();
        schedule.step();
        lossSum += loss.item<float>();
        if ((step + 1) % 50 == 0)
            Console.WriteLine($"epoch {epoch} step {step + 1}/{stepsPerEpoch} loss {lossSum / (step + 1):F4} ({(step + 1) * batchSize / clock.Elapsed.TotalSeconds:F0} img/s)");
    }
}

model.eval();
long correct = 0;
using (no_grad())
{
    for (var start = 0; start < testCount; start += 500)
    {
        using var scope = NewDisposeScope();
        var length = Math.Min(500, testCount - start);
        var predicted = model.call(Normalise(xTest.narrow(0, start, length))).argmax(1).cpu();
        correct += predicted.eq(yTest.narrow(0, start, length)).sum().item<long>();
    }
}
Console.WriteLine($"test accuracy {100.0 * correct / testCount:F2}% after {epochs} epoch(s), {clock.Elapsed.TotalSeconds:F0} s");

string Option(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
