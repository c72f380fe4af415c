// The "?" panel of a page's keyboard shortcuts (group view, run dashboard).

export function KeyHelp({ keys }: { keys: readonly (readonly [string, string])[] }) {
  return (
    <div className="help" data-testid="help" role="dialog" aria-label="keyboard shortcuts">
      <b>Keyboard</b> (off while typing)
      <table>
        <tbody>
          {keys.map(([k, d]) => (
            <tr key={k}>
              <td>
                <kbd>{k}</kbd>
              </td>
              <td>{d}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
