#!/usr/bin/env bash
# Checks that MLNetCnn works as users get it: packs the libraries into a local feed, creates a console project outside
# the solution (so none of its central version pins apply), references the packages from that feed, and runs a program
# that trains a CNN for one epoch on generated images, saves the ML.NET model, reloads it with mlContext.Model.Load,
# predicts, round-trips a checkpoint and draws a chart. Exits non-zero on any failure. Run by .ci/run after the tests.
# Usage: bash eng/check-packages.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say() { echo "eng/check-packages.sh: $*" >&2; }

for project in src/Zoo/MLNetCnn.Zoo.csproj src/CnnEstimators/MLNetCnn.CnnEstimators.csproj src/Charts/MLNetCnn.Charts.csproj; do
  dotnet pack "$project" -c Release -o "$work/feed" -v quiet -nologo >/dev/null
done
say "packed: $(cd "$work/feed" && ls | tr '\n' ' ')"

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
dotnet add package MLNetCnn.CnnEstimators --version 0.1.0 >/dev/null
dotnet add package MLNetCnn.Charts --version 0.1.0 >/dev/null
dotnet run -c Release
say "a project outside the solution restored, built and ran on the packages"
