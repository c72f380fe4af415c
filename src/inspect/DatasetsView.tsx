// Placeholder for the dataset browser (issue 4): replaced by the datasets work.
export function DatasetsView() {
  return <section className="panel">Datasets are coming.</section>;
}
