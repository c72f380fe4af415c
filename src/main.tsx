// App entry: mounts the shell. Everything below it reads state from the stores in src/store.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/common/App';
import './ui/common/app.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
