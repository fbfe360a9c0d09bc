// One chart.js chart from a ChartSpec. The component owns the canvas and the chart object;
// what to draw comes from experiments/chart-data.ts.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Tooltip,
} from 'chart.js';
import { html, nothing, type PropertyValues } from 'lit';
import type { ChartSpec } from './experiments/chart-data.ts';
import { LightElement } from './light-element.ts';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LogarithmicScale,
  LineController,
  LineElement,
  PointElement,
  Legend,
  Tooltip,
);

const PALETTE = ['#1f5fbf', '#7aa7e8', '#b35c00', '#f0a860', '#1e6b35', '#7cc08f', '#a4262c', '#e88a8f', '#6b2fa3', '#b48fd6'];

export class ChartView extends LightElement {
  static override properties = { spec: { attribute: false } };
  declare spec: ChartSpec | null;
  private chart: Chart | null = null;

  constructor() {
    super();
    this.spec = null;
  }

  protected override render() {
    if (!this.spec) return nothing;
    return html`<figure class="chart" aria-label=${this.spec.title}>
      <h3>${this.spec.title}</h3>
      <div class="canvas-box"><canvas role="img" aria-label=${this.spec.title}></canvas></div></figure>`;
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (!changed.has('spec') || !this.spec) return;
    const canvas = this.querySelector('canvas');
    if (!canvas) return;
    const s = this.spec;
    const datasets = s.datasets.map((d, i) => ({
      label: d.label,
      data: d.data,
      backgroundColor: PALETTE[i % PALETTE.length],
      borderColor: PALETTE[i % PALETTE.length],
      spanGaps: true,
    }));
    this.chart?.destroy();
    this.chart = new Chart(canvas, {
      type: s.kind,
      data: { labels: s.labels, datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          y: { type: s.logY ? 'logarithmic' : 'linear', title: { display: true, text: s.yTitle } },
          x: { title: { display: s.xTitle !== undefined, text: s.xTitle ?? '' } },
        },
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
      },
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.chart?.destroy();
    this.chart = null;
  }
}
customElements.define('ivy-chart', ChartView);
