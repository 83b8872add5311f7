# The API image. Build from the repository root: docker build -f deploy/api.Dockerfile -t onething-api .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Project files first: the restore layer is reused until a package or project reference changes.
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY grains/OneThing.Grains.Abstractions/OneThing.Grains.Abstractions.csproj grains/OneThing.Grains.Abstractions/
COPY grains/OneThing.Grains/OneThing.Grains.csproj grains/OneThing.Grains/
COPY silo/OneThing.Silo.Hosting/OneThing.Silo.Hosting.csproj silo/OneThing.Silo.Hosting/
COPY api/OneThing.Contracts/OneThing.Contracts.csproj api/OneThing.Contracts/
COPY api/OneThing.Api/OneThing.Api.csproj api/OneThing.Api/
RUN dotnet restore api/OneThing.Api/OneThing.Api.csproj
COPY grains/ grains/
COPY silo/ silo/
COPY api/ api/
COPY catalog/ catalog/
RUN dotnet publish api/OneThing.Api/OneThing.Api.csproj -c Release --no-restore -o /app /p:UseAppHost=false

# Chiseled: no shell, no package manager, a non-root user; "extra" keeps ICU (InvariantGlobalization is off).
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled-extra AS runtime
WORKDIR /app
COPY --from=build /app .
USER $APP_UID
ENV ASPNETCORE_HTTP_PORTS=8080
EXPOSE 8080
ENTRYPOINT ["dotnet", "OneThing.Api.dll"]
