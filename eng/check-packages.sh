#!/usr/bin/env bash
# Checks that MLNetCnn works as users get it: packs the libraries into a local feed, creates a console project outside
# the solution (so none of its central version pins apply), references the packages from that feed, and runs a program
# that trains a CNN for one epoch on generated images, saves the ML.NET model, reloads it with mlContext.Model.Load,
# predicts, round-trips a checkpoint and draws a chart. Then installs the mlnetcnn tool from the same feed into a temporary
# tool path (dotnet tool install --add-source) and runs train -> evaluate -> predict -> export on the program's images,
# and a bad option, checking exit codes and outputs. Exits non-zero on any failure. Run by .ci/run after the tests.
# Usage: bash eng/check-packages.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d)
# A version of its own for each run: NuGet's global cache keeps a package by id and version, so a fixed version would
# let this check restore the packages an earlier run packed instead of the ones packed now.
version="0.1.0-check.$(date +%s)"
packages="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
trap 'rm -rf "$work" "$packages"/mlnetcnn.*/"$version"' EXIT
say() { echo "eng/check-packages.sh: $*" >&2; }

for project in src/Zoo/MLNetCnn.Zoo.csproj src/CnnEstimators/MLNetCnn.CnnEstimators.csproj src/Charts/MLNetCnn.Charts.csproj src/Cli/MLNetCnn.Cli.csproj; do
  dotnet pack "$project" -c Release -o "$work/feed" -p:Version="$version" -v quiet -nologo || { say "dotnet pack $project failed"; exit 1; }
done
say "packed: $(cd "$work/feed" && ls | tr '\n' ' ')"

# `dotnet pack` of the whole solution packs the same packages (the tool also as its linux-x64 package) and nothing else:
# no samples, benchmarks or tests.
dotnet pack "$root/MLNetCnn.sln" -c Release -o "$work/solution-feed" -p:Version="$version" -v quiet -nologo >/dev/null \
  || { say "dotnet pack MLNetCnn.sln failed"; exit 1; }
packed=$(cd "$work/solution-feed" && ls *.nupkg | sed "s/\.$version\.nupkg//" | sort | tr '\n' ' ')
[[ "$packed" == "MLNetCnn.Charts MLNetCnn.Cli MLNetCnn.Cli.linux-x64 MLNetCnn.CnnEstimators MLNetCnn.Zoo " ]] \
  || { say "dotnet pack MLNetCnn.sln packed: $packed (expected the libraries and the tool only)"; exit 1; }

mkdir "$work/consumer"
cd "$work/consumer"
# The feed first, then the registry the repository restores from.
registry=$(grep -o 'value="[^"]*"' "$root/nuget.config" | head -n1 | cut -d'"' -f2)
cat > nuget.config <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$work/feed" />
    <add key="registry" value="$registry" />
  </packageSources>
</configuration>
XML
cat > Consumer.csproj <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
  </PropertyGroup>
</Project>
XML
cp "$root/eng/package-consumer/Program.cs" .
dotnet add package MLNetCnn.CnnEstimators --version "$version" >"$work/add.log" || { cat "$work/add.log"; exit 1; }
dotnet add package MLNetCnn.Charts --version "$version" >"$work/add.log" || { cat "$work/add.log"; exit 1; }
dotnet run -c Release -- "$work/images"
say "a project outside the solution restored, built and ran on the packages"

# ML.NET 6.0.0 (SkiaSharp 3) as a user who references it gets it; 5.0.1 stays the minimum the packages declare.
for package in Microsoft.ML Microsoft.ML.ImageAnalytics Microsoft.ML.OnnxTransformer; do
  dotnet add package "$package" --version 6.0.0 >"$work/add.log" || { cat "$work/add.log"; exit 1; }
done
rm -rf "$work/images"
dotnet run -c Release -- "$work/images"
say "the same program ran on ML.NET 6.0.0"

dotnet tool install MLNetCnn.Cli --version "$version" --tool-path "$work/tools" --add-source "$work/feed" >"$work/tool.log" || { cat "$work/tool.log"; exit 1; }
tool="$work/tools/mlnetcnn"
"$tool" train --images "$work/images" --size 32 --epochs 1 --batch-size 16 --out "$work/model" > "$work/train.log"
for file in model.zip classifier.mlnetcnn metrics.json; do
  [[ -s "$work/model/$file" ]] || { say "the tool's train wrote no $file"; cat "$work/train.log"; exit 1; }
done
"$tool" evaluate --model "$work/model" --images "$work/images" --json | grep -q '"microAccuracy"' || { say "evaluate --json printed no microAccuracy"; exit 1; }
predictions=$("$tool" predict --model "$work/model" "$work/images" | wc -l)
[[ "$predictions" -eq 65 ]] || { say "predict printed $predictions lines, expected a header and 64 images"; exit 1; }
"$tool" export --model "$work/model" --out "$work/model.onnx" >/dev/null
[[ -s "$work/model.onnx" ]] || { say "export wrote no ONNX file"; exit 1; }
set +e
"$tool" train --images "$work/images" --out "$work/other" --epochs 0 >/dev/null 2>"$work/bad.log"
code=$?
set -e
[[ $code -eq 1 ]] && grep -q -- "--epochs" "$work/bad.log" || { say "a bad option gave exit code $code and: $(cat "$work/bad.log")"; exit 1; }
say "the mlnetcnn tool installed from the feed trained, evaluated, predicted, exported and refused a bad option"
