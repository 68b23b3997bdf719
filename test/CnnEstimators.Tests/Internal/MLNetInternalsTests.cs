using FluentAssertions;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Internal;

namespace MLNetCnn.Tests.Internal;

/// <summary>The two ML.NET internals we reach still exist with the shapes we bind to (a failure here means an ML.NET upgrade moved them).</summary>
public class MLNetInternalsTests
{
    [Fact]
    public void NewColumn_BuildsASchemaShapeColumn()
    {
        var column = MLNetInternals.NewColumn("Score", SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false, null);

        column.Name.Should().Be("Score");
        column.Kind.Should().Be(SchemaShape.Column.VectorKind.Vector);
        column.ItemType.Should().Be(NumberDataViewType.Single);
        column.IsKey.Should().BeFalse();
    }

    [Fact]
    public void EnvironmentOf_IsTheContextsEnvironment_ItsMessagesReachTheContextLog()
    {
        var ml = new MLContext(seed: 3);
        var messages = new List<string>();
        ml.Log += (_, e) => { lock (messages) messages.Add(e.Message); };

        foreach (var environment in new[] { MLNetInternals.EnvironmentOf(ml.MulticlassClassification.Trainers), MLNetInternals.EnvironmentOf(ml.Transforms) })
        {
            using var channel = environment.Register("probe").Start("probe");
            channel.Info(Microsoft.ML.Runtime.MessageSensitivity.None, "hello from " + environment.GetHashCode());
        }

        messages.Should().Contain(m => m.Contains("hello from")).And.HaveCountGreaterThanOrEqualTo(2);
    }
}
